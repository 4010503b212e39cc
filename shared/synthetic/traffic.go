package synthetic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// Runs records synthetic runs (*store.Store has it).
type Runs interface {
	StartSyntheticRun(ctx context.Context, target, runID string, until time.Time) error
	StopSyntheticRun(ctx context.Context, target string) (sent int64, running bool, err error)
}

// Traffic is control.Synthetic on AWS, for Lambda alias targets: it starts
// a run of the synthetic function (Starter invokes it asynchronously) and
// stops it through the run's item in the table. Start needs the versions
// and payload, so it is a control.SyntheticVersions; other target types
// are not reached (Reaches).
type Traffic struct {
	Runs    Runs
	Starter Chainer
	// IDs makes run ids (nil: random hex).
	IDs func() string
}

var (
	_ control.Synthetic         = (*Traffic)(nil)
	_ control.SyntheticVersions = (*Traffic)(nil)
)

// Reaches reports whether Traffic can send to t: Lambda alias targets
// only (an ALB has no route to one target group; docs/pipeline-spec.md).
func (tr *Traffic) Reaches(t release.Target) bool { return t.Type == release.TargetLambdaAlias }

// StartSynthetic implements control.Synthetic; it cannot start without the
// versions, which control.Service passes to StartSyntheticVersions.
func (tr *Traffic) StartSynthetic(_ context.Context, t release.Target, _ int, _ time.Time) error {
	return release.Errorf(release.ErrInvalid, "synthetic traffic to %s: AWS needs the candidate and stable versions (StartSyntheticVersions)", t.Name)
}

// StartSyntheticVersions implements control.SyntheticVersions: the run is
// recorded first (replacing any earlier run of the target, whose sender
// then stops), then the synthetic function is started with its Job.
func (tr *Traffic) StartSyntheticVersions(ctx context.Context, r control.SyntheticRun) error {
	t := r.Target
	if !tr.Reaches(t) || t.Function == "" {
		return release.Errorf(release.ErrInvalid, "synthetic traffic to %s: only lambdaAlias targets with a function are reached on AWS (got type %s)", t.Name, t.Type)
	}
	id, err := tr.id()
	if err != nil {
		return err
	}
	job := Job{Target: t.Name, Function: t.Function, Candidate: r.Candidate, Baseline: r.Stable, RPS: r.RPS, Until: r.Until.UTC(), RunID: id, Event: r.Event}
	if err := job.validate(); err != nil {
		return release.Errorf(release.ErrInvalid, "%v", err)
	}
	if err := tr.Runs.StartSyntheticRun(ctx, t.Name, id, job.Until); err != nil {
		return err
	}
	if err := tr.Starter.Send(ctx, job); err != nil {
		// Nothing will count for the run: mark it stopped.
		_, _, serr := tr.Runs.StopSyntheticRun(ctx, t.Name)
		return fmt.Errorf("start the synthetic function for %s: %w (stopping the run: %v)", t.Name, err, serr)
	}
	return nil
}

// StopSynthetic implements control.Synthetic: it sets the run's stop
// marker and returns the count the sender had recorded (a second's
// requests in flight as it stops are not counted). Targets Traffic does
// not reach have no run.
func (tr *Traffic) StopSynthetic(ctx context.Context, t release.Target) (int64, bool, error) {
	if !tr.Reaches(t) {
		return 0, false, nil
	}
	return tr.Runs.StopSyntheticRun(ctx, t.Name)
}

func (tr *Traffic) id() (string, error) {
	if tr.IDs != nil {
		return tr.IDs(), nil
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("synthetic run id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
