package control

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// ReleasePlan is the release state machine's map of work: what Begin returns
// at $.plan, compiled once from the pipeline spec so the state machines
// iterate data instead of knowing the spec.
type ReleasePlan struct {
	Stages []StagePlan `json:"stages"`
}

// StagePlan is one stage: its optional approval, whether deploy windows
// apply, and its waves in order.
type StagePlan struct {
	Name     string        `json:"name"`
	Windowed bool          `json:"windowed"`
	Approval *ApprovalPlan `json:"approval"` // null when the stage has no gate
	Waves    []WavePlan    `json:"waves"`
}

// ApprovalPlan is a stage's manual gate.
type ApprovalPlan struct {
	Approvers      []string `json:"approvers"`
	TimeoutSeconds int64    `json:"timeoutSeconds"`
}

// WavePlan is one wave: targets deployed together, each in its own deploy
// execution.
type WavePlan struct {
	Name      string              `json:"name"`
	OnFailure release.FailureMode `json:"onFailure"`
	Targets   []DeployInput       `json:"targets"`
}

// DeployInput is the input of deploy.asl.json for one target. Field names are
// the JSONPaths the definition reads.
type DeployInput struct {
	ReleaseID     string                `json:"releaseId"`
	Pipeline      string                `json:"pipeline"`
	Stage         string                `json:"stage"`
	Wave          string                `json:"wave"`
	ExecutionName string                `json:"executionName"`
	ExecutionMode release.ExecutionMode `json:"executionMode"`
	Target        release.Target        `json:"target"`
	Artifact      string                `json:"artifact"`
	Windowed      bool                  `json:"windowed"`
	// Steps are the plan's traffic steps; the last one shifts to 100% and
	// does not bake: its bake is FinalStep's, run after the post-traffic
	// hook and the load test.
	Steps     []StepInput    `json:"steps"`
	FinalStep StepInput      `json:"finalStep"`
	Alarms    []string       `json:"alarms"`
	Hooks     release.Hooks  `json:"hooks"`
	Bake      BakePolicy     `json:"bake"`
	LoadTest  *LoadTestInput `json:"loadTest"` // null when the wave has none
	Lease     int64          `json:"leaseSeconds"`
}

// StepInput is one plan step in the units the state machine uses. Pause
// holds the step (alarms watched) until someone promotes the release;
// Analysis judges the canary against the baseline when the step's bake
// ends.
type StepInput struct {
	Weight      int               `json:"weight"`
	BakeSeconds int64             `json:"bakeSeconds"`
	Pause       bool              `json:"pause,omitempty"`
	Analysis    *release.Analysis `json:"analysis,omitempty"`
}

// BakePolicy is how much evidence a bake needs.
type BakePolicy struct {
	MinRequests         int64  `json:"minRequests"`
	MaxExtensionSeconds int64  `json:"maxExtensionSeconds"`
	OnInsufficientData  string `json:"onInsufficientData"`
}

// LoadTestInput is a wave's load test as the load-test state machine reads
// it.
type LoadTestInput struct {
	release.LoadTest
	TaskIndexes []int `json:"taskIndexes"`
}

// Compile builds the plan for one release of pipeline p.
func Compile(p release.Pipeline, r release.Release) (ReleasePlan, error) {
	var plan ReleasePlan
	for si, s := range p.Stages {
		sp := StagePlan{Name: s.Name, Windowed: s.Windowed && len(p.DeployWindows) > 0}
		if s.Approval != nil {
			sp.Approval = &ApprovalPlan{
				Approvers:      append([]string{}, s.Approval.Approvers...),
				TimeoutSeconds: seconds(s.Approval.Timeout),
			}
			if len(sp.Approval.Approvers) == 0 {
				sp.Approval.Approvers = append([]string{}, p.Approvers...)
			}
		}
		for wi, w := range s.Waves {
			steps, err := w.Deployment.Compile(w.Bake.Duration)
			if err != nil {
				return ReleasePlan{}, fmt.Errorf("stage %s wave %s: %w", s.Name, w.Name, err)
			}
			wp := WavePlan{Name: w.Name, OnFailure: firstMode(w.OnFailure, p.OnFailure, release.FailureRollbackWave)}
			for ti, t := range w.Targets {
				in := DeployInput{
					ReleaseID:     r.ID,
					Pipeline:      r.Pipeline,
					Stage:         s.Name,
					Wave:          w.Name,
					ExecutionName: executionName(r.ID, si, wi, ti),
					ExecutionMode: p.ExecutionMode,
					Target:        t,
					Artifact:      r.Version,
					Windowed:      sp.Windowed,
					Alarms:        alarmsFor(p, w, t),
					Hooks:         hooksFor(p, w),
					Bake: BakePolicy{
						MinRequests:         w.Bake.MinRequests,
						MaxExtensionSeconds: seconds(w.Bake.MaxExtension),
						OnInsufficientData:  firstString(w.Bake.OnInsufficientData, "fail"),
					},
				}
				for i, st := range steps {
					si := StepInput{Weight: st.Weight, BakeSeconds: seconds(st.Bake), Pause: st.Pause && st.Weight < 100, Analysis: st.Analysis}
					if i == len(steps)-1 {
						in.FinalStep = si
						si.BakeSeconds = 0
					}
					in.Steps = append(in.Steps, si)
				}
				if w.LoadTest != nil {
					lt := &LoadTestInput{LoadTest: *w.LoadTest}
					for i := 0; i < max(1, w.LoadTest.Tasks); i++ {
						lt.TaskIndexes = append(lt.TaskIndexes, i)
					}
					in.LoadTest = lt
				}
				in.Lease = leaseFor(steps, w)
				wp.Targets = append(wp.Targets, in)
			}
			sp.Waves = append(sp.Waves, wp)
		}
		plan.Stages = append(plan.Stages, sp)
	}
	return plan, nil
}

// executionName names a target's deploy execution: unique per release and
// target, the same on a retry so a retried start cannot deploy twice, and
// short enough that the load test's execution, which deploy.asl.json names
// "<this name>-lt", stays within Step Functions' 80 characters. A release
// id too long for that is cut and given a hash of the whole id, so two long
// ids sharing a prefix keep distinct names.
func executionName(releaseID string, stage, wave, target int) string {
	const limit = 80 - len("-lt")
	suffix := fmt.Sprintf("-s%dw%dt%d", stage, wave, target)
	if len(releaseID)+len(suffix) > limit {
		sum := sha256.Sum256([]byte(releaseID))
		tag := "-" + hex.EncodeToString(sum[:6])
		releaseID = releaseID[:limit-len(suffix)-len(tag)] + tag
	}
	return releaseID + suffix
}

// leaseFor is how long a target's lock lease lasts: the whole plan's bakes,
// hooks and load test with an hour's margin. Every shift renews it, so a
// healthy release never loses it, and a crashed one frees it within the
// lease at most.
func leaseFor(steps release.Plan, w release.Wave) int64 {
	total := time.Hour + w.Bake.MaxExtension
	for _, s := range steps {
		total += s.Bake
	}
	if w.LoadTest != nil {
		total += w.LoadTest.RampUp + w.LoadTest.HoldFor
	}
	return seconds(total)
}

func alarmsFor(p release.Pipeline, w release.Wave, t release.Target) []string {
	seen := map[string]bool{}
	var out []string
	base := p.Alarms
	if len(w.Alarms) > 0 {
		base = w.Alarms
	}
	for _, list := range [][]string{base, t.Alarms} {
		for _, a := range list {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func hooksFor(p release.Pipeline, w release.Wave) release.Hooks {
	h := p.Hooks
	if w.Hooks.PreTraffic != nil {
		h.PreTraffic = w.Hooks.PreTraffic
	}
	if w.Hooks.PostTraffic != nil {
		h.PostTraffic = w.Hooks.PostTraffic
	}
	return h
}

func seconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

func firstMode(modes ...release.FailureMode) release.FailureMode {
	for _, m := range modes {
		if m != "" {
			return m
		}
	}
	return ""
}

func firstString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
