package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/release"
)

// Synthetic sends synthetic requests to a target's canary and baseline
// while an analysis step's real traffic is too thin (the step's
// analysis.synthetic). The local stack implements it with the fleet's load
// generator, AWS for Lambda alias targets with shared/synthetic (which is
// also a SyntheticVersions); docs/pipeline-spec.md says what ALB targets
// lack.
type Synthetic interface {
	// StartSynthetic starts sending rps synthetic requests per second to
	// t's candidate and stable versions (alternately), replacing any
	// running for t, until StopSynthetic or, at the latest, until (the
	// Service's clock). It returns an ErrInvalid-kind error for a bad rps
	// or target.
	StartSynthetic(ctx context.Context, t release.Target, rps int, until time.Time) error
	// StopSynthetic stops t's synthetic requests and returns how many were
	// sent since StartSynthetic; running is false when none were started
	// (stopping twice is not an error).
	StopSynthetic(ctx context.Context, t release.Target) (sent int64, running bool, err error)
}

// SyntheticVersions is a Synthetic that must be told the versions it
// sends to and each request's payload (on AWS it invokes a Lambda
// function's versions directly, not its alias); startSynthetic starts it
// with StartSyntheticVersions instead of StartSynthetic.
type SyntheticVersions interface {
	StartSyntheticVersions(ctx context.Context, r SyntheticRun) error
}

// SyntheticRun is what StartSyntheticVersions starts: rps requests a
// second to Target's Candidate and Stable versions, alternately, each with
// Event (the step's analysis.synthetic.event; empty means {}), until Until
// at the latest.
type SyntheticRun struct {
	Target            release.Target
	Candidate, Stable string
	RPS               int
	Until             time.Time
	Event             json.RawMessage
}

// syntheticReaches reports whether syn can send to t: a Synthetic with a
// Reaches method says so per target (AWS reaches Lambda alias targets
// only); any other reaches every target it is given.
func syntheticReaches(syn Synthetic, t release.Target) bool {
	if r, ok := syn.(interface{ Reaches(release.Target) bool }); ok {
		return r.Reaches(t)
	}
	return true
}

// SyntheticSource is an analysis source that can also read the synthetic
// requests (fleetsamples.Source is one): with them counted on both sides,
// or alone.
type SyntheticSource interface {
	analysis.Source
	WithSyntheticRequests() analysis.Source
	SyntheticOnly() analysis.Source
}

// syntheticRate is the window over which a step's real traffic is
// estimated before its bake: the stable version's requests over the last
// 30 seconds.
const syntheticRate = 30 * time.Second

// syntheticSlack is how long past its bake a synthetic generator may run
// before it stops by itself: the bake check stops it first.
const syntheticSlack = 10 * time.Second

// startSynthetic starts synthetic traffic for an analysis step's bake when
// the step asks for it (analysis.synthetic) and the canary's real traffic
// will not reach the analysis' minimum sample count by the bake's end: the
// requests it served in the step so far plus the stable version's recent
// rate scaled to the canary's weight (an estimate, low while the stable
// version still had more traffic). The generator runs at the spec's
// maxRps, half to each side, until the bake's check stops it (or, at the
// latest, shortly after the bake should have ended). SyntheticStarted
// records the estimate.
func (s *Service) startSynthetic(ctx context.Context, in BakeInput) error {
	a := in.Step.Analysis
	if a == nil || a.Synthetic == nil || in.Hold || in.Step.Weight <= 0 || in.Step.Weight >= 100 || in.Split.Candidate == in.Split.Stable {
		return nil
	}
	if s.Synthetic == nil || !syntheticReaches(s.Synthetic, in.Target) {
		if in.ElapsedSeconds > 0 {
			return nil // said at the step's first bake
		}
		return s.record(ctx, in.event(release.EventNote, fmt.Sprintf("the step asks for synthetic traffic, but this control plane cannot send any to %s (a %s target; docs/pipeline-spec.md says which targets get it): judging real traffic only", in.Target.Name, in.Target.Type)))
	}
	need := analysis.FromRelease(*a).Defaults().MinSamples
	now := s.now()
	var soFar, recent int64
	if s.Requests != nil {
		var err error
		if soFar, err = s.Requests.CandidateRequests(ctx, in.Target, in.Split.Candidate, now.Add(-time.Duration(in.ElapsedSeconds)*time.Second)); err != nil {
			return fmt.Errorf("count requests on %s %s: %w", in.Target.Name, in.Split.Candidate, err)
		}
		if recent, err = s.Requests.CandidateRequests(ctx, in.Target, in.Split.Stable, now.Add(-syntheticRate)); err != nil {
			return fmt.Errorf("count requests on %s %s: %w", in.Target.Name, in.Split.Stable, err)
		}
	}
	w := float64(in.Step.Weight)
	expected := soFar + int64(float64(recent)/syntheticRate.Seconds()*w/(100-w)*float64(in.Seconds))
	if expected >= int64(need) {
		return nil
	}
	rps := a.Synthetic.MaxRPS
	until := now.Add(time.Duration(in.Seconds)*time.Second + syntheticSlack)
	var err error
	if sv, ok := s.Synthetic.(SyntheticVersions); ok {
		err = sv.StartSyntheticVersions(ctx, SyntheticRun{Target: in.Target, Candidate: in.Split.Candidate, Stable: in.Split.Stable, RPS: rps, Until: until, Event: a.Synthetic.Event})
	} else {
		err = s.Synthetic.StartSynthetic(ctx, in.Target, rps, until)
	}
	if err != nil {
		return fmt.Errorf("start synthetic traffic on %s: %w", in.Target.Name, err)
	}
	use := "judged on their own if real traffic stays too thin"
	if a.Synthetic.CountInJudgment {
		use = "counted with real traffic (countInJudgment)"
	}
	ev := in.event(release.EventSyntheticStarted, fmt.Sprintf("real traffic too thin for analysis at %d%% (about %d of %d canary requests expected by the bake's end): sending %d synthetic requests/s to %s and %s for %ds, %s",
		in.Step.Weight, expected, need, rps, in.Split.Candidate, in.Split.Stable, in.Seconds, use))
	ev.Data = jsonData(map[string]any{"rps": rps, "until": until, "expectedCanaryRequests": expected, "minSamples": need, "countInJudgment": a.Synthetic.CountInJudgment})
	return s.record(ctx, ev)
}

// stopSynthetic stops a target's synthetic traffic, if any runs, and
// records SyntheticStopped with how many requests it sent. Every path that
// ends a bake or restores a target calls it; without a Synthetic it does
// nothing.
func (s *Service) stopSynthetic(ctx context.Context, ev release.Event, t release.Target, why string) error {
	if s.Synthetic == nil {
		return nil
	}
	sent, running, err := s.Synthetic.StopSynthetic(ctx, t)
	if err != nil {
		return fmt.Errorf("stop synthetic traffic on %s: %w", t.Name, err)
	}
	if !running {
		return nil
	}
	ev.Type, ev.Message = release.EventSyntheticStopped, fmt.Sprintf("synthetic traffic stopped (%s): %d requests sent", why, sent)
	ev.Data = jsonData(map[string]any{"sent": sent})
	return s.record(ctx, ev)
}

// syntheticJudgment is the AnalysisJudged data of a judgment of synthetic
// requests alone.
type syntheticJudgment struct {
	Synthetic bool `json:"synthetic"`
	analysis.Judgment
}

// judgeSynthetic judges the synthetic requests alone, canary against
// baseline, when the judgment of real traffic was inconclusive and the
// spec keeps synthetic requests out of it; it records the result as its
// own AnalysisJudged event and returns it (ok false when there is nothing
// to judge).
func (s *Service) judgeSynthetic(ctx context.Context, in BakeCheckInput, src analysis.Source, req analysis.Request) (analysis.Judgment, bool, error) {
	syn := in.Step.Analysis.Synthetic
	ss, can := src.(SyntheticSource)
	if syn == nil || syn.CountInJudgment || !can || s.Synthetic == nil {
		return analysis.Judgment{}, false, nil
	}
	j, err := analysis.Analyze(ctx, ss.SyntheticOnly(), req)
	if errors.Is(err, release.ErrInvalid) {
		return analysis.Judgment{}, false, nil // the source records no synthetic requests
	}
	if err != nil {
		return analysis.Judgment{}, false, fmt.Errorf("analysis of synthetic requests to %s on %s: %w", in.Split.Candidate, in.Target.Name, err)
	}
	ev := in.event(release.EventAnalysis, fmt.Sprintf("canary analysis of synthetic requests at %d%%: %s (score %.0f)", in.Step.Weight, j.Verdict, j.Score))
	ev.Data = jsonData(syntheticJudgment{Synthetic: true, Judgment: j})
	return j, true, s.record(ctx, ev)
}
