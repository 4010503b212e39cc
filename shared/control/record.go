package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// RecordFunction is the record function: the release state machine's
// bookkeeping Tasks, one action each (begin, stageStart, window,
// waveResult, stageDone and finish).
func (s *Service) RecordFunction() *Router {
	return NewRouter("record",
		On("begin", s.Begin),
		On("stageStart", s.StageStart),
		On("window", s.Window),
		On("waveResult", s.WaveResult),
		On("stageDone", s.StageDone),
		On("finish", s.Finish),
	)
}

// Begin serves Begin: it admits the release (see admit), moves it to
// IN_PROGRESS and returns its compiled plan.
func (s *Service) Begin(ctx context.Context, in BeginInput) (ReleasePlan, error) {
	if err := in.validate("begin"); err != nil {
		return ReleasePlan{}, err
	}
	out, err := s.begin(ctx, in)
	return out, Boundary(err)
}

// StageStart serves StageStart (see stageStart).
func (s *Service) StageStart(ctx context.Context, in StageInput) (struct{}, error) {
	if err := in.validate("stageStart"); err != nil {
		return struct{}{}, err
	}
	return struct{}{}, Boundary(s.stageStart(ctx, in))
}

// Window serves CheckWindow (see window).
func (s *Service) Window(ctx context.Context, in WindowInput) (WindowOutput, error) {
	if err := in.validate("window"); err != nil {
		return WindowOutput{}, err
	}
	out, err := s.window(ctx, in)
	return out, Boundary(err)
}

// WaveResult serves WaveResult (see waveResult).
func (s *Service) WaveResult(ctx context.Context, in WaveResultInput) (struct{}, error) {
	if err := in.validate("waveResult"); err != nil {
		return struct{}{}, err
	}
	return struct{}{}, Boundary(s.waveResult(ctx, in))
}

// StageDone serves StageDone: it records the stage succeeded.
func (s *Service) StageDone(ctx context.Context, in StageInput) (struct{}, error) {
	if err := in.validate("stageDone"); err != nil {
		return struct{}{}, err
	}
	return struct{}{}, Boundary(s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventStageSucceeded, Stage: in.Stage}))
}

// Finish serves Finish (see finish).
func (s *Service) Finish(ctx context.Context, in FinishInput) (ReleaseOutcome, error) {
	if err := in.validate("finish"); err != nil {
		return ReleaseOutcome{}, err
	}
	out, err := s.finish(ctx, in)
	return out, Boundary(err)
}

func (in ReleaseTask) validate(action string) error {
	if in.ReleaseID == "" {
		return &InvalidInput{Message: action + ": releaseId is required"}
	}
	return nil
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

func (s *Service) begin(ctx context.Context, in BeginInput) (ReleasePlan, error) {
	r, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return ReleasePlan{}, err
	}
	switch {
	case r.Status == release.StatusInProgress:
		// A retried Begin: the release already started; compile again.
	case r.Status.Terminal():
		return ReleasePlan{}, &Cancelled{Message: fmt.Sprintf("release %s is already %s", r.ID, r.Status)}
	default:
		if err := s.admit(ctx, r, p); err != nil {
			return ReleasePlan{}, err
		}
		if _, err := s.Store.TransitionRelease(ctx, r.ID, release.StatusInProgress, ""); err != nil {
			return ReleasePlan{}, fmt.Errorf("start release %s: %w", r.ID, err)
		}
		if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: release.EventStarted,
			Message: fmt.Sprintf("release of %s %s started (execution mode %s)", r.Pipeline, r.Version, p.ExecutionMode)}); err != nil {
			return ReleasePlan{}, err
		}
	}
	plan, err := Compile(p, r)
	if err != nil {
		return ReleasePlan{}, &InvalidInput{Message: fmt.Sprintf("release %s: %v", r.ID, err)}
	}
	return plan, nil
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

// supersede returns the Superseded error; Finish records the release's end
// (ReleaseSuperseded), once.
func (s *Service) supersede(_ context.Context, r, by release.Release) error {
	return &Superseded{Message: fmt.Sprintf("release %s superseded by release %s (%s)", r.ID, by.ID, by.Version)}
}

// stageStart records the stage and, in SUPERSEDED mode, stops at the stage
// boundary when a newer release of the pipeline is waiting.
func (s *Service) stageStart(ctx context.Context, in StageInput) error {
	r, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return err
	}
	if r.Status.Terminal() {
		return &Cancelled{Message: fmt.Sprintf("release %s is already %s", r.ID, r.Status)}
	}
	if err := s.checkRelease(ctx, in.ReleaseID); err != nil {
		return err
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
func (s *Service) window(ctx context.Context, in WindowInput) (WindowOutput, error) {
	if err := s.checkRelease(ctx, in.ReleaseID); err != nil {
		return WindowOutput{}, err
	}
	if !in.Windowed {
		return WindowOutput{}, nil
	}
	wait, err := s.windowWait(ctx, in.ReleaseID)
	if err != nil || wait.IsZero() {
		return WindowOutput{}, err
	}
	until := wait.UTC().Format(time.RFC3339)
	err = s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventWindowWaiting, Stage: in.Stage,
		Message: "outside the deploy window; waiting until " + until})
	return WindowOutput{WaitUntil: until}, err
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

// checkRelease returns RollbackRequested when a person asked for the
// release to be rolled back, and Cancelled when it already ended.
func (s *Service) checkRelease(ctx context.Context, releaseID string) error {
	return s.checkWave(ctx, TargetTask{ReleaseID: releaseID})
}

// waveResult judges a wave from its targets' outcomes. All promoted: the
// wave succeeded (its targets stay the release's until it ends). Otherwise
// the wave's targets are
// restored (and, with onFailure rollbackAllWaves, every target the release
// touched, newest first) and the wave fails.
func (s *Service) waveResult(ctx context.Context, in WaveResultInput) error {
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
	_, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return err
	}
	if len(failed) == 0 && len(superseded) == 0 {
		led, err := s.ledger(ctx, in.ReleaseID)
		if err != nil {
			return err
		}
		if led.WaveJudged(in.Stage, in.Wave) {
			return nil // a retried WaveResult
		}
		return s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventWaveSucceeded, Stage: in.Stage, Wave: in.Wave})
	}
	reason := "wave " + in.Wave + " failed: " + strings.Join(failed, "; ")
	if len(failed) == 0 {
		reason = "wave " + in.Wave + ": superseded on " + strings.Join(superseded, ", ")
	}
	sc := restoreScope{kind: scopeFailure, stage: in.Stage, wave: in.Wave, mode: waveMode(p, in.Stage, in.Wave)}
	led, err := s.ledger(ctx, in.ReleaseID)
	if err != nil {
		return err
	}
	res, err := s.restore(ctx, in.ReleaseID, p, led, sc, reason)
	if err != nil {
		return err
	}
	if aerr := res.err(); aerr != nil {
		return &RestoreUnverified{Message: reason + "; " + aerr.Error()}
	}
	if len(failed) == 0 {
		return &Superseded{Message: reason}
	}
	return &WaveFailed{Message: reason}
}

// finish ends the release through the one end path (end): SUCCEEDED
// without an error; otherwise after restoring what the error's scope
// covers.
func (s *Service) finish(ctx context.Context, in FinishInput) (ReleaseOutcome, error) {
	r, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return ReleaseOutcome{}, fmt.Errorf("finish release %s: %w", in.ReleaseID, err)
	}
	if r.Status.Terminal() {
		return ReleaseOutcome{Status: r.Status, Reason: r.Reason}, nil
	}
	var cause endCause
	if in.Error != nil {
		cause = endCause{name: in.Error.Error, reason: in.Error.Reason()}
	}
	return s.end(ctx, r, p, cause)
}

// endCause is why a release ends: name is the error's name ("" for
// success, "Crashed" when reconcile ends a release whose execution died).
type endCause struct {
	name   string
	reason string
	prefix string // e.g. "reconciled: "
}

// end is the one path that ends a release: pick the restore scope from
// the cause, restore, settle what the release keeps, release its leases,
// and record exactly one end event with a status that names what
// happened.
func (s *Service) end(ctx context.Context, r release.Release, p release.Pipeline, cause endCause) (ReleaseOutcome, error) {
	led, err := s.ledger(ctx, r.ID)
	if err != nil {
		return ReleaseOutcome{}, err
	}
	reason := cause.reason
	var to release.Status
	sc := restoreScope{kind: scopeCancel}
	switch cause.name {
	case "":
		to = release.StatusSucceeded
	case "Superseded":
		to = release.StatusSuperseded
	case "Cancelled", "ApprovalRejected":
		to = release.StatusCancelled
	case "ApprovalTimedOut":
		to = release.StatusCancelled
		if err := s.approvalTimedOut(ctx, r.ID, reason); err != nil {
			return ReleaseOutcome{}, err
		}
	case "Crashed":
		// The execution died (reconcile): what the log shows decides.
		switch {
		case led.Ending != "":
			// An ender had decided the outcome and begun settling when
			// the control plane died: finish that ending.
			to = led.Ending
		case led.RollbackRequested != nil:
			sc = failureScope(p, led)
		case allStagesSucceeded(p, led):
			to, reason = release.StatusSucceeded, "every stage had succeeded when its execution stopped ("+reason+")"
		case led.Gate != nil:
			to, reason = release.StatusCancelled, led.Gate.Message+"; "+reason
		default:
			sc = failureScope(p, led)
		}
	default:
		sc = failureScope(p, led)
	}
	if led.RollbackRequested != nil && cause.name != "" {
		sc = failureScope(p, led)
		if cause.name != "RollbackRequested" {
			reason = led.RollbackRequested.Message + "; " + reason
		}
	}
	res, err := s.restore(ctx, r.ID, p, led, sc, reason)
	if err != nil {
		return ReleaseOutcome{}, err
	}
	if cres, err := s.closeOut(ctx, r, p, reason, to); err != nil {
		return ReleaseOutcome{}, err
	} else {
		res.Attention = append(res.Attention, cres.Attention...)
	}
	if led, err = s.ledger(ctx, r.ID); err != nil {
		return ReleaseOutcome{}, err
	}
	switch {
	case len(res.Attention) > 0:
		to = release.StatusNeedsAttention
		if msg := res.err().Error(); !strings.Contains(reason, msg) {
			reason = strings.TrimPrefix(reason+"; "+msg, "; ")
		}
	case to != "":
	case led.Restored():
		to = release.StatusRolledBack
	case led.RollbackRequested != nil:
		to = release.StatusCancelled // rolled back before anything moved
	default:
		to = release.StatusFailed // nothing moved: the refusal is the reason
	}
	if to == release.StatusSucceeded && r.Status != release.StatusInProgress {
		return ReleaseOutcome{}, &InvalidInput{Message: fmt.Sprintf("release %s cannot succeed from %s", r.ID, r.Status)}
	}
	if _, err := s.Store.TransitionRelease(ctx, r.ID, to, reason); err != nil {
		if errors.Is(err, release.ErrConflict) {
			if cur, gerr := s.Store.GetRelease(ctx, r.ID); gerr == nil && cur.Status.Terminal() {
				return ReleaseOutcome{Status: cur.Status, Reason: cur.Reason}, nil
			}
		}
		return ReleaseOutcome{}, fmt.Errorf("end release %s as %s: %w", r.ID, to, err)
	}
	msg := cause.prefix + "release " + string(to)
	if reason != "" {
		msg += ": " + reason
	}
	if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: to.EndEvent(), Message: msg}); err != nil {
		return ReleaseOutcome{}, err
	}
	return ReleaseOutcome{Status: to, Reason: reason}, nil
}

func allStagesSucceeded(p release.Pipeline, led release.Ledger) bool {
	for _, st := range p.Stages {
		if !led.StageSucceeded(st.Name) {
			return false
		}
	}
	return len(p.Stages) > 0
}

// approvalTimedOut records an approval gate that nobody answered (its own
// event type: a person's rejection is recorded by Decide) and drops its
// token.
func (s *Service) approvalTimedOut(ctx context.Context, releaseID, reason string) error {
	events, err := s.allEvents(ctx, releaseID)
	if err != nil {
		return err
	}
	stage := ""
	for _, ev := range events {
		switch ev.Type {
		case release.EventApprovalTimedOut:
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
	return s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventApprovalTimedOut, Stage: stage, Message: "approval timed out: " + reason})
}
