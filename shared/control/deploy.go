package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Lock serves AcquireLock: one release per target at a time.
func (s *Service) Lock(ctx context.Context, in DeployTask) (release.Lock, error) {
	l, err := s.lock(ctx, in)
	return l, Boundary(err)
}

func (s *Service) lock(ctx context.Context, in DeployTask) (release.Lock, error) {
	if err := in.validate(); err != nil {
		return release.Lock{}, err
	}
	r, err := s.Store.GetRelease(ctx, in.ReleaseID)
	if err != nil {
		return release.Lock{}, fmt.Errorf("lock %s: %w", in.Target.Name, err)
	}
	if r.Status.Terminal() {
		return release.Lock{}, &Cancelled{Message: fmt.Sprintf("release %s is already %s", r.ID, r.Status)}
	}
	l, err := s.Store.AcquireLock(ctx, in.Target.Name, in.ReleaseID, lease(in.LeaseSeconds))
	if errors.Is(err, release.ErrLocked) {
		if in.ExecutionMode == release.ModeSuperseded {
			active, aerr := s.Store.ActiveReleases(ctx, r.Pipeline)
			if aerr != nil {
				return release.Lock{}, fmt.Errorf("list active releases of %s: %w", r.Pipeline, aerr)
			}
			if newer := newerThan(active, r); newer != nil {
				return release.Lock{}, s.supersede(ctx, r, *newer)
			}
		}
		return release.Lock{}, &TargetLocked{Message: fmt.Sprintf("target %s: %v", in.Target.Name, err)}
	}
	if err != nil {
		return release.Lock{}, fmt.Errorf("lock %s for release %s: %w", in.Target.Name, in.ReleaseID, err)
	}
	return l, s.record(ctx, in.event(release.EventLockAcquired, fmt.Sprintf("lock on %s acquired (fence %d)", in.Target.Name, l.Fence)))
}

// Shift serves Prepare (action prepare) and each plan step's Shift (action
// shift).
func (s *Service) Shift(ctx context.Context, in DeployTask) (any, error) {
	if err := in.validate(); err != nil {
		return nil, Boundary(err)
	}
	switch in.Action {
	case "prepare":
		out, err := s.prepare(ctx, in)
		return out, Boundary(err)
	case "shift":
		out, err := s.shift(ctx, in)
		return out, Boundary(err)
	}
	return nil, &InvalidInput{Message: fmt.Sprintf("shift: unknown action %q", in.Action)}
}

// prepare checks the alarms, resolves the stable version, prepares the
// candidate and records both before any traffic moves.
func (s *Service) prepare(ctx context.Context, in DeployTask) (traffic.Split, error) {
	if err := s.preflight(ctx, in); err != nil {
		return traffic.Split{}, err
	}
	sh, err := s.shifter(in.Target)
	if err != nil {
		return traffic.Split{}, err
	}
	cur, err := sh.Current(ctx, in.Target)
	if err != nil {
		return traffic.Split{}, fmt.Errorf("read traffic on %s: %w", in.Target.Name, err)
	}
	stable := cur.Stable
	if ts, err := s.Store.GetTargetState(ctx, in.Target.Name); err == nil && ts.Phase == release.PhaseShifting && ts.Stable != "" {
		// A release before this one was interrupted mid-shift: its last good
		// version, not the live split, is what this release returns to.
		stable = ts.Stable
	}
	candidate, err := sh.Prepare(ctx, in.Target, in.Artifact)
	if err != nil {
		return traffic.Split{}, fmt.Errorf("prepare %s on %s: %w", in.Artifact, in.Target.Name, err)
	}
	split := traffic.Split{Stable: stable, Candidate: candidate}
	if err := s.Store.PutTargetState(ctx, release.TargetState{
		Target: in.Target.Name, Stable: stable, Candidate: candidate, Weight: 0, ReleaseID: in.ReleaseID,
		Phase: release.PhaseShifting, Stage: in.Stage, Wave: in.Wave, UpdatedAt: s.now(),
	}); err != nil {
		return traffic.Split{}, fmt.Errorf("record target %s: %w", in.Target.Name, err)
	}
	return split, s.record(ctx, in.event(release.EventNote, fmt.Sprintf("prepared %s as %s; last good version %s", in.Artifact, candidate, stable)))
}

// preflight refuses to deploy blind: every watched alarm must exist, have
// data and not be in ALARM.
func (s *Service) preflight(ctx context.Context, in DeployTask) error {
	if len(in.Alarms) == 0 {
		return nil
	}
	if s.Alarms == nil {
		return &PreflightFailed{Message: "alarms are configured but no alarm source is wired"}
	}
	states, err := s.Alarms.AlarmStates(ctx, in.Alarms)
	if err != nil {
		return fmt.Errorf("alarm pre-flight for %s: %w", in.Target.Name, err)
	}
	var bad []string
	for _, a := range in.Alarms {
		switch st, ok := states[a]; {
		case !ok:
			bad = append(bad, a+" does not exist")
		case st == AlarmInsufficientData:
			bad = append(bad, a+" has insufficient data")
		case st == AlarmFiring:
			bad = append(bad, a+" is already in ALARM")
		}
	}
	if len(bad) > 0 {
		msg := "refusing to deploy blind: " + strings.Join(bad, "; ")
		if err := s.record(ctx, in.event(release.EventNote, "alarm pre-flight failed: "+msg)); err != nil {
			return err
		}
		return &PreflightFailed{Message: msg}
	}
	return nil
}

// shift moves the candidate's weight to this step's value, unless the
// window is shut (then it says until when to wait) or the wave was aborted.
func (s *Service) shift(ctx context.Context, in DeployTask) (StepOutput, error) {
	if err := s.checkWave(ctx, in); err != nil {
		return StepOutput{}, err
	}
	if _, err := s.Store.RenewLock(ctx, in.Target.Name, in.ReleaseID, lease(in.LeaseSeconds)); err != nil {
		return StepOutput{}, &LockLost{Message: fmt.Sprintf("target %s: release %s no longer holds the lock: %v", in.Target.Name, in.ReleaseID, err)}
	}
	if in.Windowed {
		wait, err := s.windowWait(ctx, in.ReleaseID)
		if err != nil {
			return StepOutput{}, err
		}
		if !wait.IsZero() {
			until := wait.UTC().Format(time.RFC3339)
			return StepOutput{WaitUntil: until, Weight: in.Step.Weight},
				s.record(ctx, in.event(release.EventWindowWaiting, fmt.Sprintf("deploy window shut before shifting to %d%%; waiting until %s", in.Step.Weight, until)))
		}
	}
	sh, err := s.shifter(in.Target)
	if err != nil {
		return StepOutput{}, err
	}
	split := in.Split
	split.Weight = in.Step.Weight
	if err := s.Store.PutTargetState(ctx, release.TargetState{
		Target: in.Target.Name, Stable: split.Stable, Candidate: split.Candidate, Weight: split.Weight, ReleaseID: in.ReleaseID,
		Phase: release.PhaseShifting, Stage: in.Stage, Wave: in.Wave, UpdatedAt: s.now(),
	}); err != nil {
		return StepOutput{}, fmt.Errorf("record target %s before shifting: %w", in.Target.Name, err)
	}
	if err := sh.Shift(ctx, in.Target, split); err != nil {
		return StepOutput{}, fmt.Errorf("shift %s to %s: %w", in.Target.Name, split, err)
	}
	data := fmt.Sprintf(`{"weight":%d,"stable":%q,"candidate":%q}`, split.Weight, split.Stable, split.Candidate)
	ev := in.event(release.EventTrafficShifted, fmt.Sprintf("%s: %s", in.Target.Name, split))
	ev.Data = []byte(data)
	if err := s.record(ctx, ev); err != nil {
		return StepOutput{}, err
	}
	return StepOutput{Weight: split.Weight, BakeSeconds: in.Step.BakeSeconds}, nil
}

// Hook serves the pre- and post-traffic hook Tasks. A phase without a hook
// passes at once.
func (s *Service) Hook(ctx context.Context, in DeployTask) (struct{}, error) {
	return struct{}{}, Boundary(s.hook(ctx, in))
}

func (s *Service) hook(ctx context.Context, in DeployTask) error {
	if err := in.validate(); err != nil {
		return err
	}
	var h *release.Hook
	switch in.Phase {
	case "preTraffic":
		h = in.Hooks.PreTraffic
	case "postTraffic":
		h = in.Hooks.PostTraffic
	default:
		return &InvalidInput{Message: fmt.Sprintf("hook: unknown phase %q", in.Phase)}
	}
	if h == nil {
		return nil
	}
	if err := s.checkWave(ctx, in); err != nil {
		return err
	}
	if s.Hooks == nil {
		return &HookFailed{Message: in.Phase + " hook configured but no hook runner is wired"}
	}
	call := HookCall{ReleaseID: in.ReleaseID, Pipeline: in.Pipeline, Stage: in.Stage, Wave: in.Wave, Target: in.Target, Phase: in.Phase, Split: in.Split}
	if err := s.Hooks.RunHook(ctx, *h, call); err != nil {
		msg := fmt.Sprintf("%s hook on %s failed: %v", in.Phase, in.Target.Name, err)
		if rerr := s.record(ctx, in.event(release.EventHookFailed, msg)); rerr != nil {
			return rerr
		}
		return &HookFailed{Message: msg}
	}
	return s.record(ctx, in.event(release.EventHookPassed, in.Phase+" hook passed"))
}

// Bake serves the bake registration (action register, the Lambda behind a
// waitForTaskToken Task) and the check after each bake (action check).
func (s *Service) Bake(ctx context.Context, in DeployTask) (any, error) {
	if err := in.validate(); err != nil {
		return nil, Boundary(err)
	}
	switch in.Action {
	case "register":
		return struct{}{}, Boundary(s.registerBake(ctx, in))
	case "check":
		out, err := s.checkBake(ctx, in)
		return out, Boundary(err)
	}
	return nil, &InvalidInput{Message: fmt.Sprintf("bake: unknown action %q", in.Action)}
}

// registerBake stores the bake's token with the alarms it watches, so an
// ALARM event can fail it, then closes the race with the alarms' current
// states: one already in ALARM fails the bake now.
func (s *Service) registerBake(ctx context.Context, in DeployTask) error {
	if in.Token == "" {
		return &InvalidInput{Message: "bake register: token is required"}
	}
	if err := s.checkWave(ctx, in); err != nil {
		return err
	}
	now := s.now()
	tok := release.TaskToken{
		Token: in.Token, Kind: release.TokenBake, ReleaseID: in.ReleaseID, Pipeline: in.Pipeline,
		Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name, Alarms: in.Alarms,
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(in.Seconds)*time.Second + time.Hour),
	}
	if err := s.Store.PutTaskToken(ctx, tok); err != nil {
		return fmt.Errorf("store bake token for %s: %w", in.Target.Name, err)
	}
	if err := s.record(ctx, in.event(release.EventBakeStarted, fmt.Sprintf("baking %ds at %d%%, watching %s", in.Seconds, in.Step.Weight, alarmList(in.Alarms)))); err != nil {
		return err
	}
	if firing, err := s.firing(ctx, in.Alarms); err != nil {
		return err
	} else if len(firing) > 0 {
		if derr := s.Store.DeleteTaskToken(ctx, in.Token); derr != nil && !errors.Is(derr, release.ErrNotFound) {
			return fmt.Errorf("drop bake token for %s: %w", in.Target.Name, derr)
		}
		return s.alarmed(ctx, in, firing)
	}
	return nil
}

// checkBake runs when a bake's time is up: a final alarm check closes the
// race with alarmwatch, and a bake that needs data is extended while the
// candidate has served too few requests.
func (s *Service) checkBake(ctx context.Context, in DeployTask) (StepOutput, error) {
	if err := s.dropTokens(ctx, in); err != nil {
		return StepOutput{}, err
	}
	if err := s.checkWave(ctx, in); err != nil {
		return StepOutput{}, err
	}
	firing, err := s.firing(ctx, in.Alarms)
	if err != nil {
		return StepOutput{}, err
	}
	if len(firing) > 0 {
		return StepOutput{}, s.alarmed(ctx, in, firing)
	}
	elapsed := in.ElapsedSeconds + in.BakedSeconds
	out := StepOutput{Weight: in.Step.Weight, ElapsedSeconds: elapsed}
	if in.Bake.MinRequests > 0 && in.Step.Weight > 0 {
		if s.Requests == nil {
			return StepOutput{}, &InsufficientData{Message: "bake needs minRequests but no request counter is wired"}
		}
		since := s.now().Add(-time.Duration(elapsed) * time.Second)
		n, err := s.Requests.CandidateRequests(ctx, in.Target, in.Split.Candidate, since)
		if err != nil {
			return StepOutput{}, fmt.Errorf("count requests on %s %s: %w", in.Target.Name, in.Split.Candidate, err)
		}
		if n < in.Bake.MinRequests {
			limit := in.Step.BakeSeconds + in.Bake.MaxExtensionSeconds
			if elapsed < limit {
				out.BakeSeconds = min(limit-elapsed, max(1, (in.Step.BakeSeconds+3)/4))
				return out, s.record(ctx, in.event(release.EventBakeExtended,
					fmt.Sprintf("only %d of %d requests on %s after %ds; extending the bake by %ds", n, in.Bake.MinRequests, in.Split.Candidate, elapsed, out.BakeSeconds)))
			}
			msg := fmt.Sprintf("only %d of %d requests on %s after %ds (all extensions used)", n, in.Bake.MinRequests, in.Split.Candidate, elapsed)
			if in.Bake.OnInsufficientData != "promote" {
				if err := s.record(ctx, in.event(release.EventNote, "bake failed: "+msg)); err != nil {
					return StepOutput{}, err
				}
				return StepOutput{}, &InsufficientData{Message: msg}
			}
			return out, s.record(ctx, in.event(release.EventBakePassed, "bake passed on time alone, as onInsufficientData: promote asks: "+msg))
		}
	}
	return out, s.record(ctx, in.event(release.EventBakePassed, fmt.Sprintf("bake passed at %d%% after %ds", in.Step.Weight, elapsed)))
}

// Finalize makes the candidate the target's last good version and releases
// the lock.
func (s *Service) Finalize(ctx context.Context, in DeployTask) (TargetOutcome, error) {
	out, err := s.finalize(ctx, in)
	return out, Boundary(err)
}

func (s *Service) finalize(ctx context.Context, in DeployTask) (TargetOutcome, error) {
	if err := in.validate(); err != nil {
		return TargetOutcome{}, err
	}
	sh, err := s.shifter(in.Target)
	if err != nil {
		return TargetOutcome{}, err
	}
	final := traffic.Split{Stable: in.Split.Stable, Candidate: in.Split.Candidate, Weight: 100}
	if err := sh.Verify(ctx, in.Target, final); err != nil {
		return TargetOutcome{}, fmt.Errorf("finalize %s: %w", in.Target.Name, err)
	}
	if err := s.Store.PutTargetState(ctx, release.TargetState{
		Target: in.Target.Name, Stable: in.Split.Candidate, Candidate: in.Split.Candidate, Weight: 100, ReleaseID: in.ReleaseID,
		Previous: in.Split.Stable, Phase: release.PhasePromoted, Stage: in.Stage, Wave: in.Wave, UpdatedAt: s.now(),
	}); err != nil {
		return TargetOutcome{}, fmt.Errorf("record %s promoted: %w", in.Target.Name, err)
	}
	ev := in.event(release.EventTargetPromoted, fmt.Sprintf("%s now serves %s (previous %s)", in.Target.Name, in.Split.Candidate, in.Split.Stable))
	ev.Data = []byte(fmt.Sprintf(`{"version":%q,"previous":%q}`, in.Split.Candidate, in.Split.Stable))
	if err := s.record(ctx, ev); err != nil {
		return TargetOutcome{}, err
	}
	if err := s.unlock(ctx, in.ReleaseID, in.Stage, in.Wave, in.Target.Name); err != nil {
		return TargetOutcome{}, err
	}
	return TargetOutcome{Version: in.Split.Candidate}, nil
}

// Rollback is the deploy's one failure path: restore 100% to the last good
// version, verify it, record why, abort sibling bakes of the wave and
// release the lock.
func (s *Service) Rollback(ctx context.Context, in DeployTask) (TargetOutcome, error) {
	out, err := s.rollback(ctx, in)
	return out, Boundary(err)
}

func (s *Service) rollback(ctx context.Context, in DeployTask) (TargetOutcome, error) {
	if err := in.validate(); err != nil {
		return TargetOutcome{}, err
	}
	reason := in.Error.Reason()
	if reason == "" {
		reason = "rollback requested"
	}
	if err := s.record(ctx, in.event(release.EventRollbackStarted, reason)); err != nil {
		return TargetOutcome{}, err
	}
	if err := s.abortSiblings(ctx, in.ReleaseID, in.Stage, in.Wave, in.Target.Name, reason); err != nil {
		return TargetOutcome{}, err
	}
	version, err := s.restoreTarget(ctx, in.ReleaseID, in.Target, reason)
	if err != nil {
		return TargetOutcome{}, err
	}
	return TargetOutcome{Version: version, Reason: reason}, nil
}

// restoreTarget returns a target this release was shifting to 100% on its
// last good version, verifies it and releases the lock. A target the release
// never moved is left alone (its lock, if held, is released).
func (s *Service) restoreTarget(ctx context.Context, releaseID string, t release.Target, reason string) (string, error) {
	ts, err := s.Store.GetTargetState(ctx, t.Name)
	if err != nil && !errors.Is(err, release.ErrNotFound) {
		return "", fmt.Errorf("read target %s: %w", t.Name, err)
	}
	if err != nil || ts.ReleaseID != releaseID || ts.Phase != release.PhaseShifting {
		return ts.Stable, s.unlock(ctx, releaseID, ts.Stage, ts.Wave, t.Name)
	}
	if _, err := s.Store.AcquireLock(ctx, t.Name, releaseID, time.Hour); err != nil {
		return "", &LockLost{Message: fmt.Sprintf("roll back %s: another release holds its lock: %v", t.Name, err)}
	}
	if err := s.setTraffic(ctx, t, traffic.Split{Stable: ts.Stable, Candidate: ts.Candidate, Weight: 0}, ts.Weight == 0); err != nil {
		return "", err
	}
	ts.Weight, ts.Phase, ts.UpdatedAt = 0, release.PhaseRolledBack, s.now()
	if err := s.Store.PutTargetState(ctx, ts); err != nil {
		return "", fmt.Errorf("record %s rolled back: %w", t.Name, err)
	}
	ev := release.Event{ReleaseID: releaseID, Type: release.EventRolledBack, Stage: ts.Stage, Wave: ts.Wave, Target: t.Name,
		Message: fmt.Sprintf("100%% of %s back on %s (verified): %s", t.Name, ts.Stable, reason)}
	ev.Data = []byte(fmt.Sprintf(`{"version":%q,"from":%q}`, ts.Stable, ts.Candidate))
	if err := s.record(ctx, ev); err != nil {
		return "", err
	}
	return ts.Stable, s.unlock(ctx, releaseID, ts.Stage, ts.Wave, t.Name)
}

// setTraffic applies a split and reads it back. When the split is believed
// to be live already (nothing moved yet), it is only read back, and applied
// only if the live state differs.
func (s *Service) setTraffic(ctx context.Context, t release.Target, split traffic.Split, believedLive bool) error {
	sh, err := s.shifter(t)
	if err != nil {
		return err
	}
	if believedLive && sh.Verify(ctx, t, split) == nil {
		return nil
	}
	if err := sh.Shift(ctx, t, split); err != nil {
		return fmt.Errorf("restore %s to %s: %w", t.Name, split, err)
	}
	if err := sh.Verify(ctx, t, split); err != nil {
		return fmt.Errorf("verify %s restored: %w", t.Name, err)
	}
	return nil
}

// rollbackPromoted returns targets this release already promoted, newest
// first, to the versions they served before it: the coordinated rollback of
// a failed wave.
func (s *Service) rollbackPromoted(ctx context.Context, releaseID string, scope func(release.Event) bool, reason string) error {
	events, err := s.allEvents(ctx, releaseID)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if ev.Type != release.EventTargetPromoted || !scope(ev) {
			continue
		}
		ts, err := s.Store.GetTargetState(ctx, ev.Target)
		if err != nil {
			errs = append(errs, fmt.Errorf("read target %s: %w", ev.Target, err))
			continue
		}
		if ts.ReleaseID != releaseID || ts.Phase != release.PhasePromoted {
			continue // moved on since, or already rolled back
		}
		if ts.Previous == "" {
			errs = append(errs, fmt.Errorf("target %s has no previous version to return to", ev.Target))
			continue
		}
		// Mark it in flight first, so the release's safety net finds it if
		// this rollback is interrupted.
		ts.Phase, ts.Stable, ts.Candidate, ts.Weight, ts.UpdatedAt = release.PhaseShifting, ts.Previous, ts.Stable, 100, s.now()
		if err := s.Store.PutTargetState(ctx, ts); err != nil {
			errs = append(errs, fmt.Errorf("record %s rolling back: %w", ev.Target, err))
			continue
		}
		t := release.Target{Name: ev.Target}
		if spec, ok := s.targetSpec(ctx, releaseID, ev.Target); ok {
			t = spec
		}
		if _, err := s.restoreTarget(ctx, releaseID, t, reason); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// restoreRelease is the release's safety net: every target it left mid-shift
// goes back to its last good version. It returns an error when any could not
// be verified.
func (s *Service) restoreRelease(ctx context.Context, releaseID, reason string) error {
	r, p, err := s.load(ctx, releaseID)
	if err != nil {
		return err
	}
	var errs []error
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			for _, t := range w.Targets {
				if _, err := s.restoreTarget(ctx, r.ID, t, reason); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// targetSpec finds a target of the release's pipeline by name.
func (s *Service) targetSpec(ctx context.Context, releaseID, name string) (release.Target, bool) {
	_, p, err := s.load(ctx, releaseID)
	if err != nil {
		return release.Target{}, false
	}
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			for _, t := range w.Targets {
				if t.Name == name {
					return t, true
				}
			}
		}
	}
	return release.Target{}, false
}

// abortSiblings fails the running bakes of the other targets of the same
// wave, so they roll back now instead of baking on.
func (s *Service) abortSiblings(ctx context.Context, releaseID, stage, wave, target, reason string) error {
	toks, err := s.Store.TokensByRelease(ctx, releaseID)
	if err != nil {
		return fmt.Errorf("list tokens of release %s: %w", releaseID, err)
	}
	for _, tok := range toks {
		if tok.Kind != release.TokenBake || tok.Stage != stage || tok.Wave != wave || tok.Target == target {
			continue
		}
		if err := s.fail(ctx, tok, "WaveAborted", fmt.Sprintf("target %s of wave %s failed: %s", target, wave, reason)); err != nil {
			return err
		}
	}
	return nil
}

// fail completes a stored token with an error, once: whoever deletes the
// token first sends the failure.
func (s *Service) fail(ctx context.Context, tok release.TaskToken, errName, cause string) error {
	if err := s.Store.DeleteTaskToken(ctx, tok.Token); errors.Is(err, release.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("claim token of %s: %w", tok.Target, err)
	}
	if s.Callbacks == nil {
		return fmt.Errorf("fail token of %s: no task callback client is wired", tok.Target)
	}
	if err := s.Callbacks.SendTaskFailure(ctx, tok.Token, errName, cause); err != nil {
		// The task ended first (its bake timed out): BakeCheck's final alarm
		// check catches what this failure would have.
		s.log().WarnContext(ctx, "send task failure", "releaseId", tok.ReleaseID, "target", tok.Target, "error", err)
	}
	return nil
}

// checkWave returns WaveAborted when a sibling target of the wave started
// rolling back, and Cancelled when the release already ended.
func (s *Service) checkWave(ctx context.Context, in DeployTask) error {
	events, err := s.allEvents(ctx, in.ReleaseID)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if ev.Type == release.EventRollbackStarted && ev.Stage == in.Stage && ev.Wave == in.Wave && ev.Target != in.Target.Name {
			return &WaveAborted{Message: fmt.Sprintf("target %s of wave %s is rolling back: %s", ev.Target, in.Wave, ev.Message)}
		}
		if ev.Type == release.EventReleaseFailed || ev.Type == release.EventReconciled {
			return &Cancelled{Message: "release " + in.ReleaseID + " already ended: " + ev.Message}
		}
	}
	return nil
}

func (s *Service) allEvents(ctx context.Context, releaseID string) ([]release.Event, error) {
	var all []release.Event
	var after int64
	for {
		page, err := s.Store.Events(ctx, releaseID, after, 500)
		if err != nil {
			return nil, fmt.Errorf("read events of release %s: %w", releaseID, err)
		}
		all = append(all, page...)
		if len(page) < 500 {
			return all, nil
		}
		after = page[len(page)-1].Seq
	}
}

// dropTokens deletes this target's leftover bake tokens after a bake ends.
func (s *Service) dropTokens(ctx context.Context, in DeployTask) error {
	toks, err := s.Store.TokensByRelease(ctx, in.ReleaseID)
	if err != nil {
		return fmt.Errorf("list tokens of release %s: %w", in.ReleaseID, err)
	}
	for _, tok := range toks {
		if tok.Kind == release.TokenBake && tok.Target == in.Target.Name {
			if err := s.Store.DeleteTaskToken(ctx, tok.Token); err != nil && !errors.Is(err, release.ErrNotFound) {
				return fmt.Errorf("drop bake token of %s: %w", in.Target.Name, err)
			}
		}
	}
	return nil
}

// firing returns the watched alarms now in ALARM.
func (s *Service) firing(ctx context.Context, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if s.Alarms == nil {
		return nil, &PreflightFailed{Message: "alarms are configured but no alarm source is wired"}
	}
	states, err := s.Alarms.AlarmStates(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("read alarm states: %w", err)
	}
	var out []string
	for _, n := range names {
		if states[n] == AlarmFiring {
			out = append(out, n)
		}
	}
	return out, nil
}

func (s *Service) alarmed(ctx context.Context, in DeployTask, firing []string) error {
	msg := fmt.Sprintf("alarm %s in ALARM while %s served %d%% on %s", strings.Join(firing, ", "), in.Target.Name, in.Step.Weight, in.Split.Candidate)
	if err := s.record(ctx, in.event(release.EventAlarm, msg)); err != nil {
		return err
	}
	return &AlarmTriggered{Message: msg}
}

func (s *Service) unlock(ctx context.Context, releaseID, stage, wave, target string) error {
	err := s.Store.ReleaseLock(ctx, target, releaseID)
	if errors.Is(err, release.ErrNotFound) || errors.Is(err, release.ErrLocked) || errors.Is(err, release.ErrConflict) {
		return nil // not ours (any more): nothing to release
	}
	if err != nil {
		return fmt.Errorf("release lock on %s: %w", target, err)
	}
	return s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventLockReleased, Stage: stage, Wave: wave, Target: target})
}

func (s *Service) shifter(t release.Target) (Shifter, error) {
	if s.Shifters == nil {
		return nil, &InvalidInput{Message: "no traffic shifters are wired"}
	}
	sh, err := s.Shifters(t)
	if err != nil {
		return nil, &InvalidInput{Message: fmt.Sprintf("target %s: %v", t.Name, err)}
	}
	return sh, nil
}

func (in DeployTask) validate() error {
	switch {
	case in.ReleaseID == "":
		return &InvalidInput{Message: "releaseId is required"}
	case in.Target.Name == "":
		return &InvalidInput{Message: "target.name is required"}
	}
	return nil
}

func (in DeployTask) event(t release.EventType, msg string) release.Event {
	return release.Event{ReleaseID: in.ReleaseID, Type: t, Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name, Message: msg}
}

func lease(seconds int64) time.Duration {
	if seconds <= 0 {
		return 2 * time.Hour
	}
	return time.Duration(seconds) * time.Second
}

func alarmList(names []string) string {
	if len(names) == 0 {
		return "no alarms"
	}
	return strings.Join(names, ", ")
}
