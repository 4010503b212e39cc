package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Record serves the release state machine's bookkeeping Tasks: begin,
// stageStart, window, waveResult, stageDone and finish.
func (s *Service) Record(ctx context.Context, in RecordInput) (RecordOutput, error) {
	if in.ReleaseID == "" {
		return RecordOutput{}, &InvalidInput{Message: "record: releaseId is required"}
	}
	var (
		out RecordOutput
		err error
	)
	switch in.Action {
	case "begin":
		out, err = s.begin(ctx, in)
	case "stageStart":
		err = s.stageStart(ctx, in)
	case "window":
		out, err = s.window(ctx, in)
	case "waveResult":
		err = s.waveResult(ctx, in)
	case "stageDone":
		err = s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventStageSucceeded, Stage: in.Stage})
	case "finish":
		out, err = s.finish(ctx, in)
	default:
		err = &InvalidInput{Message: fmt.Sprintf("record: unknown action %q", in.Action)}
	}
	return out, Boundary(err)
}

// load reads a release and the spec version it runs.
func (s *Service) load(ctx context.Context, id string) (release.Release, release.Pipeline, error) {
	r, err := s.Store.GetRelease(ctx, id)
	if err != nil {
		return r, release.Pipeline{}, fmt.Errorf("load release %s: %w", id, err)
	}
	sv, err := s.Store.GetSpec(ctx, r.Pipeline, r.SpecVersion)
	if err != nil {
		return r, release.Pipeline{}, fmt.Errorf("load spec %s v%d of release %s: %w", r.Pipeline, r.SpecVersion, id, err)
	}
	return r, sv.Parsed, nil
}

func (s *Service) begin(ctx context.Context, in RecordInput) (RecordOutput, error) {
	r, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return RecordOutput{}, err
	}
	switch {
	case r.Status == release.StatusInProgress:
		// A retried Begin: the release already started; compile again.
	case r.Status.Terminal():
		return RecordOutput{}, &Cancelled{Message: fmt.Sprintf("release %s is already %s", r.ID, r.Status)}
	default:
		if err := s.admit(ctx, r, p); err != nil {
			return RecordOutput{}, err
		}
		if _, err := s.Store.TransitionRelease(ctx, r.ID, release.StatusInProgress, ""); err != nil {
			return RecordOutput{}, fmt.Errorf("start release %s: %w", r.ID, err)
		}
		if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: release.EventStarted,
			Message: fmt.Sprintf("release of %s %s started (execution mode %s)", r.Pipeline, r.Version, p.ExecutionMode)}); err != nil {
			return RecordOutput{}, err
		}
	}
	plan, err := Compile(p, r)
	if err != nil {
		return RecordOutput{}, &InvalidInput{Message: fmt.Sprintf("release %s: %v", r.ID, err)}
	}
	return RecordOutput{Stages: plan.Stages}, nil
}

// admit applies the pipeline's execution mode to a release about to start:
// SUPERSEDED gives way to a newer release, QUEUED waits (TargetLocked, which
// the state machine retries) while an older one runs, PARALLEL always runs.
func (s *Service) admit(ctx context.Context, r release.Release, p release.Pipeline) error {
	active, err := s.Store.ActiveReleases(ctx, r.Pipeline)
	if err != nil {
		return fmt.Errorf("list active releases of %s: %w", r.Pipeline, err)
	}
	switch p.ExecutionMode {
	case release.ModeSuperseded:
		if newer := newerThan(active, r); newer != nil {
			return s.supersede(ctx, r, *newer)
		}
	case release.ModeQueued:
		for _, o := range active {
			if o.ID != r.ID && created(o, r) < 0 {
				if r.Status == release.StatusPending {
					if _, err := s.Store.TransitionRelease(ctx, r.ID, release.StatusQueued, "waiting for "+o.ID); err != nil {
						return fmt.Errorf("queue release %s: %w", r.ID, err)
					}
					if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: release.EventQueued,
						Message: fmt.Sprintf("queued behind release %s (execution mode QUEUED)", o.ID)}); err != nil {
						return err
					}
				}
				return &TargetLocked{Message: fmt.Sprintf("pipeline %s is busy with release %s (QUEUED)", r.Pipeline, o.ID)}
			}
		}
	}
	return nil
}

// newerThan returns the newest active release created after r, if any.
func newerThan(active []release.Release, r release.Release) *release.Release {
	var newest *release.Release
	for i := range active {
		if o := &active[i]; o.ID != r.ID && created(*o, r) > 0 && (newest == nil || created(*o, *newest) > 0) {
			newest = o
		}
	}
	return newest
}

// created orders releases by creation: by time, then by id (the store's ids
// sort by creation within a millisecond too).
func created(a, b release.Release) int {
	switch {
	case a.CreatedAt.Before(b.CreatedAt):
		return -1
	case a.CreatedAt.After(b.CreatedAt):
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}

func (s *Service) supersede(ctx context.Context, r, by release.Release) error {
	msg := fmt.Sprintf("superseded by release %s (%s)", by.ID, by.Version)
	if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: release.EventSuperseded, Message: msg}); err != nil {
		return err
	}
	return &Superseded{Message: msg}
}

// stageStart records the stage and, in SUPERSEDED mode, stops at the stage
// boundary when a newer release of the pipeline is waiting.
func (s *Service) stageStart(ctx context.Context, in RecordInput) error {
	r, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return err
	}
	if r.Status.Terminal() {
		return &Cancelled{Message: fmt.Sprintf("release %s is already %s", r.ID, r.Status)}
	}
	if p.ExecutionMode == release.ModeSuperseded && in.StageIndex > 0 {
		active, err := s.Store.ActiveReleases(ctx, r.Pipeline)
		if err != nil {
			return fmt.Errorf("list active releases of %s: %w", r.Pipeline, err)
		}
		if newer := newerThan(active, r); newer != nil {
			return s.supersede(ctx, r, *newer)
		}
	}
	return s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventStageStarted, Stage: in.Stage})
}

// window answers whether the stage may shift traffic now; if not, it says
// until when to wait and records that it waits.
func (s *Service) window(ctx context.Context, in RecordInput) (RecordOutput, error) {
	if !in.Windowed {
		return RecordOutput{}, nil
	}
	wait, err := s.windowWait(ctx, in.ReleaseID)
	if err != nil || wait.IsZero() {
		return RecordOutput{}, err
	}
	until := wait.UTC().Format(time.RFC3339)
	err = s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventWindowWaiting, Stage: in.Stage,
		Message: "outside the deploy window; waiting until " + until})
	return RecordOutput{WaitUntil: until}, err
}

// windowWait returns the zero time when the release's deploy windows are
// open now, and otherwise when they next open.
func (s *Service) windowWait(ctx context.Context, releaseID string) (time.Time, error) {
	_, p, err := s.load(ctx, releaseID)
	if err != nil {
		return time.Time{}, err
	}
	if len(p.DeployWindows) == 0 {
		return time.Time{}, nil
	}
	if s.Windows == nil {
		return time.Time{}, &InvalidInput{Message: "deploy windows are configured but no window calendar is wired"}
	}
	now := s.now()
	next, ok := s.Windows.NextOpen(p.DeployWindows, now)
	if !ok {
		return time.Time{}, &InvalidInput{Message: fmt.Sprintf("pipeline %s: its deploy windows never open", p.Name)}
	}
	if !next.After(now) {
		return time.Time{}, nil
	}
	return next, nil
}

// waveResult judges a wave from its targets' outcomes. All promoted: the wave
// succeeded. Otherwise the wave's promoted targets are rolled back (and, with
// onFailure rollbackAllWaves, every target this release promoted before,
// newest first) and the wave fails.
func (s *Service) waveResult(ctx context.Context, in RecordInput) error {
	var failed, superseded []string
	for _, o := range in.Outcomes {
		name := o.Output.Target
		if name == "" {
			name = o.Target
		}
		switch o.Output.Outcome {
		case OutcomePromoted:
		case OutcomeSuperseded:
			superseded = append(superseded, name)
		default:
			reason := o.Output.Reason
			if reason == "" && o.Error != nil {
				reason = o.Error.Reason()
			}
			failed = append(failed, fmt.Sprintf("%s %s (%s)", name, strings.ToLower(firstString(o.Output.Outcome, OutcomeFailed)), reason))
		}
	}
	if len(failed) == 0 && len(superseded) == 0 {
		return s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventWaveSucceeded, Stage: in.Stage, Wave: in.Wave})
	}
	_, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return err
	}
	mode := release.FailureRollbackWave
	if in.StageIndex < len(p.Stages) && in.WaveIndex < len(p.Stages[in.StageIndex].Waves) {
		mode = firstMode(p.Stages[in.StageIndex].Waves[in.WaveIndex].OnFailure, p.OnFailure, mode)
	}
	reason := "wave " + in.Wave + " failed: " + strings.Join(failed, "; ")
	if len(failed) == 0 {
		reason = "wave " + in.Wave + ": superseded on " + strings.Join(superseded, ", ")
	}
	scope := func(ev release.Event) bool { return ev.Stage == in.Stage && ev.Wave == in.Wave }
	if mode == release.FailureRollbackAllWaves {
		scope = func(release.Event) bool { return true }
	}
	if err := s.rollbackPromoted(ctx, in.ReleaseID, scope, reason); err != nil {
		return err
	}
	if len(failed) == 0 {
		return &Superseded{Message: reason}
	}
	return &WaveFailed{Message: reason}
}

// finish ends the release: SUCCEEDED without an error; otherwise, after
// restoring any target the release left off its last good version,
// ROLLED_BACK when all traffic is verified on last good versions, SUPERSEDED
// or CANCELLED when it gave way, and FAILED when a person must look.
func (s *Service) finish(ctx context.Context, in RecordInput) (RecordOutput, error) {
	r, err := s.Store.GetRelease(ctx, in.ReleaseID)
	if err != nil {
		return RecordOutput{}, fmt.Errorf("finish release %s: %w", in.ReleaseID, err)
	}
	if r.Status.Terminal() {
		return RecordOutput{Status: r.Status, Reason: r.Reason}, nil
	}
	to, reason, evType := release.StatusSucceeded, "", release.EventReleaseSucceeded
	if in.Error != nil {
		reason = in.Error.Reason()
		evType = release.EventReleaseFailed
		switch in.Error.Error {
		case "Superseded":
			to = release.StatusSuperseded
		case "Cancelled":
			to = release.StatusCancelled
		case "ApprovalRejected":
			to = release.StatusCancelled
			if err := s.auditTimedOutApproval(ctx, r.ID, reason); err != nil {
				return RecordOutput{}, err
			}
		default:
			to = release.StatusRolledBack
		}
		if err := s.restoreRelease(ctx, r.ID, reason); err != nil {
			to, reason = release.StatusFailed, reason+"; restoring traffic failed: "+err.Error()
		} else if to == release.StatusRolledBack && r.Status != release.StatusInProgress {
			to = release.StatusFailed // it never started, so nothing rolled back: someone must fix the cause
		}
	}
	if r.Status != release.StatusInProgress && to == release.StatusSucceeded {
		return RecordOutput{}, &InvalidInput{Message: fmt.Sprintf("release %s cannot succeed from %s", r.ID, r.Status)}
	}
	if _, err := s.Store.TransitionRelease(ctx, r.ID, to, reason); err != nil {
		if errors.Is(err, release.ErrConflict) {
			if cur, gerr := s.Store.GetRelease(ctx, r.ID); gerr == nil && cur.Status.Terminal() {
				return RecordOutput{Status: cur.Status, Reason: cur.Reason}, nil
			}
		}
		return RecordOutput{}, fmt.Errorf("finish release %s as %s: %w", r.ID, to, err)
	}
	msg := "release " + string(to)
	if reason != "" {
		msg += ": " + reason
	}
	if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: evType, Message: msg}); err != nil {
		return RecordOutput{}, err
	}
	return RecordOutput{Status: to, Reason: reason}, nil
}

// auditTimedOutApproval records the rejection of an approval that nobody
// answered (a person's rejection is recorded by Decide) and drops its token.
func (s *Service) auditTimedOutApproval(ctx context.Context, releaseID, reason string) error {
	events, err := s.allEvents(ctx, releaseID)
	if err != nil {
		return err
	}
	stage := ""
	for _, ev := range events {
		switch ev.Type {
		case release.EventRejected:
			return nil
		case release.EventApprovalWaiting:
			stage = ev.Stage
		}
	}
	toks, err := s.Store.TokensByRelease(ctx, releaseID)
	if err != nil {
		return fmt.Errorf("approval tokens of release %s: %w", releaseID, err)
	}
	for _, tok := range toks {
		if tok.Kind == release.TokenApproval {
			if err := s.Store.DeleteTaskToken(ctx, tok.Token); err != nil && !errors.Is(err, release.ErrNotFound) {
				return fmt.Errorf("drop approval token of release %s: %w", releaseID, err)
			}
		}
	}
	return s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventRejected, Stage: stage, Message: "rejected: " + reason})
}
