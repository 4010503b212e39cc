package release

import (
	"encoding/json"
	"fmt"
	"time"
)

// Deployment is how traffic moves onto a new version: all at once, a canary
// step then the rest, equal linear steps, or an explicit list of steps.
// Name keeps the CodeDeploy predefined name when one was used.
type Deployment struct {
	Name     string        `json:"name,omitempty"`
	Type     ShiftType     `json:"type"`
	Percent  int           `json:"percent,omitempty"`  // canary: first step; linear: each step
	Interval time.Duration `json:"interval,omitempty"` // time between steps
	// Steps is the plan of a ShiftSteps deployment, as written.
	Steps []Step `json:"steps,omitempty"`
}

// ShiftType is the shape of a traffic shift.
type ShiftType string

// Shift types.
const (
	ShiftAllAtOnce ShiftType = "allAtOnce"
	ShiftCanary    ShiftType = "canary"
	ShiftLinear    ShiftType = "linear"
	ShiftSteps     ShiftType = "steps"
)

// Step is one point of a plan: set the new version's weight to Weight percent,
// then watch it for Bake before the next step, or, with Pause, until someone
// promotes the release. Analysis, when set, judges the canary against the
// baseline over the step.
type Step struct {
	Weight   int           `json:"weight"`
	Bake     time.Duration `json:"bake"`
	Pause    bool          `json:"pause,omitempty"`
	Analysis *Analysis     `json:"analysis,omitempty"`
}

// Analysis is a step's canary analysis (judged by shared/analysis): metrics
// compared canary against baseline with a Mann-Whitney U test, combined into
// a score with pass and marginal thresholds. Zero fields take the judge's
// defaults.
type Analysis struct {
	Metrics       []AnalysisMetric `json:"metrics"`
	PassScore     float64          `json:"passScore,omitempty"`
	MarginalScore float64          `json:"marginalScore,omitempty"`
	// MinSamples is the fewest canary and baseline values per metric.
	MinSamples int     `json:"minSamples,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	// Synthetic asks for synthetic requests to the canary when real traffic
	// is too thin.
	Synthetic *SyntheticTraffic `json:"synthetic,omitempty"`
}

// AnalysisMetric is one judged metric: Name is latency, errors or
// slowRequests; Direction is increase (default), decrease or either; Effect
// is the smallest relative change of the mean that may fail it (0.1 =
// 10%); SlowerThan is slowRequests' latency cutoff.
type AnalysisMetric struct {
	Name       string        `json:"name"`
	Direction  string        `json:"direction,omitempty"`
	Weight     float64       `json:"weight,omitempty"`
	Effect     float64       `json:"effect,omitempty"`
	Critical   bool          `json:"critical,omitempty"`
	SlowerThan time.Duration `json:"slowerThan,omitempty"`
}

// SyntheticTraffic caps the synthetic requests sent to a quiet canary.
// Synthetic requests are counted separately and are judged with real
// traffic only when CountInJudgment is set. Event is the JSON object a
// synthetic invocation of a Lambda alias target's versions carries (empty
// means {}); local targets' generators send their own requests.
type SyntheticTraffic struct {
	MaxRPS          int             `json:"maxRps"`
	CountInJudgment bool            `json:"countInJudgment,omitempty"`
	Event           json.RawMessage `json:"event,omitempty"`
}

// Plan is the ordered list of steps a deployment compiles to; its last step
// always has Weight 100.
type Plan []Step

// predefined holds every CodeDeploy predefined deployment configuration that
// applies to Lambda and ECS.
var predefined = map[string]Deployment{
	"AllAtOnce":                     {Type: ShiftAllAtOnce},
	"Canary10Percent5Minutes":       {Type: ShiftCanary, Percent: 10, Interval: 5 * time.Minute},
	"Canary10Percent10Minutes":      {Type: ShiftCanary, Percent: 10, Interval: 10 * time.Minute},
	"Canary10Percent15Minutes":      {Type: ShiftCanary, Percent: 10, Interval: 15 * time.Minute},
	"Canary10Percent30Minutes":      {Type: ShiftCanary, Percent: 10, Interval: 30 * time.Minute},
	"Linear10PercentEvery1Minute":   {Type: ShiftLinear, Percent: 10, Interval: 1 * time.Minute},
	"Linear10PercentEvery2Minutes":  {Type: ShiftLinear, Percent: 10, Interval: 2 * time.Minute},
	"Linear10PercentEvery3Minutes":  {Type: ShiftLinear, Percent: 10, Interval: 3 * time.Minute},
	"Linear10PercentEvery10Minutes": {Type: ShiftLinear, Percent: 10, Interval: 10 * time.Minute},
}

// PredefinedDeployment returns the CodeDeploy predefined configuration with
// that name. CodeDeploy's "CodeDeployDefault.Lambda"/"CodeDeployDefault.ECS"
// prefixes are accepted, with or without "CodeDeployDefault.", and so is
// ECS's spelling "Linear10PercentEvery1Minutes". The returned Name is the
// bare name (as listed by PredefinedNames).
func PredefinedDeployment(name string) (Deployment, bool) {
	for _, prefix := range []string{"CodeDeployDefault.Lambda", "CodeDeployDefault.ECS", "CodeDeployDefault.", "Lambda", "ECS"} {
		if len(name) > len(prefix) && name[:len(prefix)] == prefix {
			name = name[len(prefix):]
			break
		}
	}
	if name == "Linear10PercentEvery1Minutes" {
		name = "Linear10PercentEvery1Minute"
	}
	d, ok := predefined[name]
	if ok {
		d.Name = name
	}
	return d, ok
}

// PredefinedNames lists the predefined configuration names.
func PredefinedNames() []string {
	return []string{
		"AllAtOnce",
		"Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes", "Canary10Percent30Minutes",
		"Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes",
	}
}

// Validate checks that the deployment can compile to a plan.
func (d Deployment) Validate() error {
	switch d.Type {
	case ShiftAllAtOnce:
		return nil
	case ShiftSteps:
		return validateSteps(d.Steps)
	case ShiftCanary, ShiftLinear:
		if d.Percent < 1 || d.Percent > 99 {
			return Errorf(ErrInvalid, "percent must be between 1 and 99, got %d", d.Percent)
		}
		if d.Interval <= 0 {
			return Errorf(ErrInvalid, "interval must be positive, got %s", d.Interval)
		}
		return nil
	}
	return Errorf(ErrInvalid, "unknown deployment type %q", d.Type)
}

// Compile turns the deployment into a plan whose last step, at 100%, bakes
// for finalBake (the wave's bake time). A steps deployment compiles to its
// steps as written (the spec gives a final step without bake or pause the
// wave's bake).
func (d Deployment) Compile(finalBake time.Duration) (Plan, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("compile deployment %s: %w", d.Name, err)
	}
	var plan Plan
	switch d.Type {
	case ShiftSteps:
		plan = make(Plan, len(d.Steps))
		for i, st := range d.Steps {
			if st.Analysis != nil {
				a := *st.Analysis
				a.Metrics = append([]AnalysisMetric(nil), a.Metrics...)
				st.Analysis = &a
			}
			plan[i] = st
		}
		return plan, nil
	case ShiftCanary:
		plan = append(plan, Step{Weight: d.Percent, Bake: d.Interval})
	case ShiftLinear:
		for w := d.Percent; w < 100; w += d.Percent {
			plan = append(plan, Step{Weight: w, Bake: d.Interval})
		}
	}
	return append(plan, Step{Weight: 100, Bake: finalBake}), nil
}

// validateSteps checks a steps plan: weights strictly increasing within
// 1–100 and ending at 100, each step either baking (a non-negative
// duration) or pausing, not both.
func validateSteps(steps []Step) error {
	if len(steps) == 0 {
		return Errorf(ErrInvalid, "steps: at least one step is required")
	}
	prev := 0
	for i, st := range steps {
		switch {
		case st.Weight < 1 || st.Weight > 100:
			return Errorf(ErrInvalid, "steps[%d]: weight must be between 1 and 100, got %d", i, st.Weight)
		case st.Weight <= prev:
			return Errorf(ErrInvalid, "steps[%d]: weight %d must be greater than the previous step's %d", i, st.Weight, prev)
		case st.Bake < 0:
			return Errorf(ErrInvalid, "steps[%d]: bake must not be negative, got %s", i, st.Bake)
		case st.Pause && st.Bake > 0:
			return Errorf(ErrInvalid, "steps[%d]: set bake or pause, not both", i)
		}
		prev = st.Weight
	}
	if prev != 100 {
		return Errorf(ErrInvalid, "steps: the last step must have weight 100, got %d", prev)
	}
	return nil
}
