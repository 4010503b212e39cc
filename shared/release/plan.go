package release

import (
	"fmt"
	"time"
)

// Deployment is how traffic moves onto a new version: all at once, a canary
// step then the rest, or equal linear steps. Name keeps the CodeDeploy
// predefined name when one was used.
type Deployment struct {
	Name     string        `json:"name,omitempty"`
	Type     ShiftType     `json:"type"`
	Percent  int           `json:"percent,omitempty"`  // canary: first step; linear: each step
	Interval time.Duration `json:"interval,omitempty"` // time between steps
}

// ShiftType is the shape of a traffic shift.
type ShiftType string

// Shift types.
const (
	ShiftAllAtOnce ShiftType = "allAtOnce"
	ShiftCanary    ShiftType = "canary"
	ShiftLinear    ShiftType = "linear"
)

// Step is one point of a plan: set the new version's weight to Weight percent,
// then watch it for Bake before the next step.
type Step struct {
	Weight int           `json:"weight"`
	Bake   time.Duration `json:"bake"`
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
// for finalBake (the wave's bake time).
func (d Deployment) Compile(finalBake time.Duration) (Plan, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("compile deployment %s: %w", d.Name, err)
	}
	var plan Plan
	switch d.Type {
	case ShiftCanary:
		plan = append(plan, Step{Weight: d.Percent, Bake: d.Interval})
	case ShiftLinear:
		for w := d.Percent; w < 100; w += d.Percent {
			plan = append(plan, Step{Weight: w, Bake: d.Interval})
		}
	}
	return append(plan, Step{Weight: 100, Bake: finalBake}), nil
}
