package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Lock serves AcquireLock: one release per target at a time.
func (s *Service) Lock(ctx context.Context, in LockInput) (release.Lock, error) {
	l, err := s.lock(ctx, in)
	return l, Boundary(err)
}

func (s *Service) lock(ctx context.Context, in LockInput) (release.Lock, error) {
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
	if err := s.checkWave(ctx, in.TargetTask); err != nil {
		return release.Lock{}, err
	}
	l, err := s.Store.AcquireLock(ctx, in.Target.Name, in.ReleaseID, lease(in.LeaseSeconds))
	if errors.Is(err, release.ErrLocked) {
		return release.Lock{}, s.busy(ctx, in, r, "", fmt.Sprintf("target %s: %v", in.Target.Name, err))
	}
	if err != nil {
		return release.Lock{}, fmt.Errorf("lock %s for release %s: %w", in.Target.Name, in.ReleaseID, err)
	}
	// The lease is ours; the target may still belong to a release that
	// promoted it and has not ended.
	if owner, err := s.owner(ctx, in.Target.Name, in.ReleaseID); err != nil || owner != "" {
		if rerr := s.Store.ReleaseLock(ctx, in.Target.Name, in.ReleaseID); rerr != nil && !errors.Is(rerr, release.ErrNotFound) {
			err = errors.Join(err, rerr)
		}
		if err != nil {
			return release.Lock{}, err
		}
		return release.Lock{}, s.busy(ctx, in, r, owner, fmt.Sprintf("target %s belongs to release %s until that release ends", in.Target.Name, owner))
	}
	led, err := s.ledger(ctx, in.ReleaseID)
	if err != nil {
		return release.Lock{}, err
	}
	if t, ok := led.Get(in.Target.Name); ok && t.LockHeld {
		return l, nil // a retried AcquireLock: renewed, already recorded
	}
	return l, s.record(ctx, in.event(release.EventLockAcquired, fmt.Sprintf("lock on %s acquired (fence %d)", in.Target.Name, l.Fence)))
}

// busy is the answer to a release that cannot have a target now: in
// SUPERSEDED mode it gives way to a newer release, otherwise it waits
// (TargetLocked, which AcquireLock retries).
//
// An older release of the same SUPERSEDED pipeline that owns the target
// while it waits for an approval gives way to this newer one, as a
// CodePipeline execution waiting at a stage is superseded: its approval
// fails with Superseded, and it keeps what it promoted.
func (s *Service) busy(ctx context.Context, in LockInput, r release.Release, owner, msg string) error {
	if in.ExecutionMode == release.ModeSuperseded {
		active, err := s.Store.ActiveReleases(ctx, r.Pipeline)
		if err != nil {
			return fmt.Errorf("list active releases of %s: %w", r.Pipeline, err)
		}
		if newer := newerThan(active, r); newer != nil {
			return s.supersede(ctx, r, *newer)
		}
		for _, o := range active {
			if o.ID != owner || created(o, r) >= 0 {
				continue
			}
			toks, err := s.Store.TokensByRelease(ctx, o.ID)
			if err != nil {
				return fmt.Errorf("tokens of release %s: %w", o.ID, err)
			}
			for _, tok := range toks {
				if tok.Kind == release.TokenApproval {
					if err := s.fail(ctx, tok, "Superseded", fmt.Sprintf("release %s superseded by release %s (%s) while waiting for approval", o.ID, r.ID, r.Version)); err != nil {
						return err
					}
				}
			}
		}
	}
	return &TargetLocked{Message: msg}
}

// owner returns the release, other than self, that owns target: one that
// prepared it and has not settled it. An owner that has ended without
// settling it (it died in between) is closed out here, and owns it no
// longer.
func (s *Service) owner(ctx context.Context, target, self string) (string, error) {
	ts, err := s.Store.GetTargetState(ctx, target)
	if errors.Is(err, release.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read target %s: %w", target, err)
	}
	if ts.ReleaseID == "" || ts.ReleaseID == self || ts.Settled() {
		return "", nil
	}
	other, p, err := s.load(ctx, ts.ReleaseID)
	if errors.Is(err, release.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !other.Status.Terminal() {
		return other.ID, nil
	}
	res, err := s.closeOut(ctx, other, p, "release "+other.ID+" ended without settling "+target, "")
	if err != nil {
		return "", err
	}
	if err := res.err(); err != nil {
		return "", &TransientError{Message: fmt.Sprintf("target %s: closing out release %s: %v", target, other.ID, err)}
	}
	return "", nil
}

// ShiftFunction is the shift function: Prepare (action prepare) and each
// plan step's Shift (action shift).
func (s *Service) ShiftFunction() *Router {
	return NewRouter("shift", On("prepare", s.Prepare), On("shift", s.ShiftStep))
}

// Prepare serves the Prepare Task (see prepare).
func (s *Service) Prepare(ctx context.Context, in PrepareInput) (traffic.Split, error) {
	if err := in.validate(); err != nil {
		return traffic.Split{}, Boundary(err)
	}
	out, err := s.prepare(ctx, in)
	return out, Boundary(err)
}

// ShiftStep serves a plan step's Shift Task (see shift).
func (s *Service) ShiftStep(ctx context.Context, in ShiftInput) (StepOutput, error) {
	if err := in.validate(); err != nil {
		return StepOutput{}, Boundary(err)
	}
	out, err := s.shift(ctx, in)
	return out, Boundary(err)
}

// prepare resolves the target's known-good version, checks the alarms,
// prepares the candidate, checks that it serves, and records both in the
// target's state and the release's ledger (TargetPrepared) before any
// traffic moves.
func (s *Service) prepare(ctx context.Context, in PrepareInput) (traffic.Split, error) {
	if err := s.checkWave(ctx, in.TargetTask); err != nil {
		return traffic.Split{}, err
	}
	sh, err := s.shifter(in.Target)
	if err != nil {
		return traffic.Split{}, err
	}
	ts, err := s.Store.GetTargetState(ctx, in.Target.Name)
	if err != nil && !errors.Is(err, release.ErrNotFound) {
		return traffic.Split{}, fmt.Errorf("read target %s: %w", in.Target.Name, err)
	}
	known := ts.KnownGood
	if known == "" {
		// Never deployed by Shipwave: what it serves now is its initial,
		// known-good version.
		cur, err := sh.Current(ctx, in.Target)
		if err != nil {
			return traffic.Split{}, fmt.Errorf("read traffic on %s: %w", in.Target.Name, err)
		}
		known = cur.Stable
		ts.Good = []string{known}
	}
	if err := s.preflight(ctx, in, known); err != nil {
		return traffic.Split{}, err
	}
	candidate, err := sh.Prepare(ctx, in.Target, in.Artifact)
	if err != nil {
		return traffic.Split{}, fmt.Errorf("prepare %s on %s: %w", in.Artifact, in.Target.Name, err)
	}
	if candidate != known {
		if err := sh.Serving(ctx, in.Target, candidate); err != nil {
			msg := fmt.Sprintf("candidate %s on %s is not serving: %v", candidate, in.Target.Name, err)
			if rerr := s.record(ctx, in.event(release.EventNote, "refusing to shift: "+msg)); rerr != nil {
				return traffic.Split{}, rerr
			}
			return traffic.Split{}, &PreflightFailed{Message: msg}
		}
	}
	next := ts
	next.Target, next.KnownGood, next.Stable, next.Candidate, next.Weight = in.Target.Name, known, known, candidate, 0
	next.ReleaseID, next.Previous, next.Phase, next.Stage, next.Wave = in.ReleaseID, known, release.PhaseShifting, in.Stage, in.Wave
	next.UpdatedAt = s.after(ts.UpdatedAt)
	if err := s.Store.SwapTargetState(ctx, ts, next); errors.Is(err, release.ErrConflict) {
		return traffic.Split{}, &TransientError{Message: fmt.Sprintf("target %s changed while release %s prepared it: %v", in.Target.Name, in.ReleaseID, err)}
	} else if err != nil {
		return traffic.Split{}, fmt.Errorf("record target %s: %w", in.Target.Name, err)
	}
	ev := in.event(release.EventTargetPrepared, fmt.Sprintf("prepared %s as %s; known-good version %s", in.Artifact, candidate, known))
	ev.Data = jsonData(map[string]any{"knownGood": known, "candidate": candidate})
	return traffic.Split{Stable: known, Candidate: candidate}, s.record(ctx, ev)
}

// preflight refuses to deploy blind: every watched alarm must exist, have
// data and not be in ALARM. A release of the target's known-good version
// is the way back, so alarms in ALARM do not stop it.
func (s *Service) preflight(ctx context.Context, in PrepareInput, known string) error {
	if len(in.Alarms) == 0 {
		return nil
	}
	if s.Alarms == nil {
		return &PreflightFailed{Message: "alarms are configured but no alarm source is wired"}
	}
	states, err := s.Alarms.States(ctx, in.Alarms)
	if err != nil {
		return fmt.Errorf("alarm pre-flight for %s: %w", in.Target.Name, err)
	}
	var bad, firing []string
	for _, a := range in.Alarms {
		switch st, ok := states[a]; {
		case !ok:
			bad = append(bad, a+" does not exist")
		case st == alarms.StateInsufficientData:
			bad = append(bad, a+" has insufficient data")
		case st == alarms.StateAlarm:
			firing = append(firing, a+" is already in ALARM")
		}
	}
	if len(firing) > 0 && in.Artifact == known {
		note := fmt.Sprintf("alarm pre-flight: %s; deploying anyway: %s is the known-good version of %s", strings.Join(firing, "; "), known, in.Target.Name)
		if err := s.record(ctx, in.event(release.EventNote, note)); err != nil {
			return err
		}
		firing = nil
	}
	bad = append(bad, firing...)
	if len(bad) > 0 {
		msg := "refusing to deploy blind: " + strings.Join(bad, "; ")
		if err := s.record(ctx, in.event(release.EventNote, "alarm pre-flight failed: "+msg)); err != nil {
			return err
		}
		return &PreflightFailed{Message: msg}
	}
	return nil
}

// MaxWindowHold bounds how long a target holds partial traffic, baking at
// its current weight with its alarms watched and its lease renewed, when
// the deploy window closes mid-shift: after that it rolls back
// (DeployWindowClosed). A target holding no traffic yet waits for the
// window as long as it takes.
const MaxWindowHold = time.Hour

// shift moves the candidate's weight to this step's value. Outside the
// deploy window it holds instead: the target stays at its current weight
// under a bake (Hold), so no partial traffic is ever left unwatched, and
// Shift runs again when the hold ends.
func (s *Service) shift(ctx context.Context, in ShiftInput) (StepOutput, error) {
	if err := s.checkWave(ctx, in.TargetTask); err != nil {
		return StepOutput{}, err
	}
	if err := s.renew(ctx, in); err != nil {
		return StepOutput{}, err
	}
	ts, err := s.Store.GetTargetState(ctx, in.Target.Name)
	if err != nil {
		return StepOutput{}, fmt.Errorf("read target %s: %w", in.Target.Name, err)
	}
	if ts.ReleaseID != in.ReleaseID {
		return StepOutput{}, &LockLost{Message: fmt.Sprintf("target %s: release %s no longer owns it (release %s does)", in.Target.Name, in.ReleaseID, ts.ReleaseID)}
	}
	if in.Windowed {
		if out, held, err := s.holdForWindow(ctx, in, ts); err != nil || held {
			return out, err
		}
	}
	if in.Step.Pause && ts.Phase == release.PhaseShifting && ts.Weight == in.Step.Weight && ts.Weight > 0 {
		return s.pause(ctx, in, ts)
	}
	sh, err := s.shifter(in.Target)
	if err != nil {
		return StepOutput{}, err
	}
	split := in.Split
	split.Weight = in.Step.Weight
	if split.Candidate == split.Stable {
		// A release of the target's known-good version: there is nothing
		// to shift, only a live state to put right (all traffic on it).
		if err := s.setTraffic(ctx, in.Target, traffic.Split{Stable: split.Stable}); err != nil {
			return StepOutput{}, err
		}
		return StepOutput{Weight: split.Weight}, nil
	}
	if split.Weight < 100 {
		// The watch goes up before partial traffic moves, and stays until
		// the target is at 100% or restored.
		if err := s.watch(ctx, in); err != nil {
			return StepOutput{}, err
		}
	}
	next := ts
	next.Stable, next.Candidate, next.Weight, next.Phase, next.UpdatedAt = split.Stable, split.Candidate, split.Weight, release.PhaseShifting, s.after(ts.UpdatedAt)
	if err := s.Store.SwapTargetState(ctx, ts, next); errors.Is(err, release.ErrConflict) {
		return StepOutput{}, &LockLost{Message: fmt.Sprintf("target %s changed before release %s could shift it (a restore or another release moved first)", in.Target.Name, in.ReleaseID)}
	} else if err != nil {
		return StepOutput{}, fmt.Errorf("record target %s before shifting: %w", in.Target.Name, err)
	}
	if err := sh.Shift(ctx, in.Target, split); err != nil {
		return StepOutput{}, fmt.Errorf("shift %s to %s: %w", in.Target.Name, split, err)
	}
	if err := s.confirmWrite(ctx, in.TargetTask, sh, ts, next); err != nil {
		return StepOutput{}, err
	}
	if split.Weight == 100 {
		if err := s.unwatch(ctx, in.ReleaseID, in.Target.Name); err != nil {
			return StepOutput{}, err
		}
	}
	ev := in.event(release.EventTrafficShifted, fmt.Sprintf("%s: %s", in.Target.Name, split))
	ev.Data = jsonData(map[string]any{"weight": split.Weight, "stable": split.Stable, "candidate": split.Candidate})
	if err := s.record(ctx, ev); err != nil {
		return StepOutput{}, err
	}
	if in.Step.Pause {
		return s.pause(ctx, in, next)
	}
	return StepOutput{Weight: split.Weight, BakeSeconds: in.Step.BakeSeconds}, nil
}

// pause holds a pause step's weight until someone promotes the release
// (Promote records Promoted): a hold like the deploy window's, its alarms
// watched and its lease renewed by each Shift, for half the lease at a
// time.
func (s *Service) pause(ctx context.Context, in ShiftInput, ts release.TargetState) (StepOutput, error) {
	events, err := s.allEvents(ctx, in.ReleaseID)
	if err != nil {
		return StepOutput{}, err
	}
	promoted, waiting := false, false
	for _, ev := range events {
		if ev.Target != in.Target.Name {
			continue
		}
		switch ev.Type {
		case release.EventTrafficShifted:
			promoted, waiting = false, false
		case release.EventPromoted:
			promoted = true
		case release.EventNote:
			waiting = waiting || strings.HasPrefix(ev.Message, "paused at ")
		}
	}
	if promoted {
		return StepOutput{Weight: ts.Weight}, nil
	}
	if !waiting {
		msg := fmt.Sprintf("paused at %d%% on %s (alarms watched) until the release is promoted: shipwave release promote %s", ts.Weight, in.Target.Name, in.ReleaseID)
		if err := s.record(ctx, in.event(release.EventNote, msg)); err != nil {
			return StepOutput{}, err
		}
	}
	chunk := lease(in.LeaseSeconds) / 2
	return StepOutput{Hold: true, Weight: ts.Weight, BakeSeconds: max(1, int64(chunk/time.Second))}, nil
}

// watch stores the release's alarm watch on the target (see
// release.TokenWatch) and checks the alarms once more, so an alarm already
// firing fails the shift before traffic moves.
func (s *Service) watch(ctx context.Context, in ShiftInput) error {
	if len(in.Alarms) == 0 {
		return nil
	}
	now := s.now()
	tok := release.TaskToken{
		Token: release.WatchToken(in.ReleaseID, in.Target.Name), Kind: release.TokenWatch, ReleaseID: in.ReleaseID, Pipeline: in.Pipeline,
		Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name, Alarms: in.Alarms, CreatedAt: now, ExpiresAt: now.Add(lease(in.LeaseSeconds)),
	}
	if err := s.Store.PutTaskToken(ctx, tok); err != nil && !errors.Is(err, release.ErrConflict) {
		return fmt.Errorf("store the alarm watch on %s: %w", in.Target.Name, err)
	}
	firing, err := s.firing(ctx, in.StepTask)
	if err != nil || len(firing) == 0 {
		return err
	}
	return s.alarmed(ctx, in.StepTask, firing)
}

// unwatch drops the release's alarm watch on the target: its traffic is at
// 100% (under the final bake) or back on its known-good version.
func (s *Service) unwatch(ctx context.Context, releaseID, target string) error {
	if err := s.Store.DeleteTaskToken(ctx, release.WatchToken(releaseID, target)); err != nil && !errors.Is(err, release.ErrNotFound) {
		return fmt.Errorf("drop the alarm watch on %s: %w", target, err)
	}
	return nil
}

// holdForWindow answers a shift outside the deploy window: hold at the
// current weight for a bake of at most half the lease, until the window
// opens; with partial traffic, for MaxWindowHold at most.
func (s *Service) holdForWindow(ctx context.Context, in ShiftInput, ts release.TargetState) (StepOutput, bool, error) {
	wait, err := s.windowWait(ctx, in.ReleaseID)
	if err != nil || wait.IsZero() {
		return StepOutput{}, false, err
	}
	now := s.now()
	since, err := s.holdingSince(ctx, in)
	if err != nil {
		return StepOutput{}, false, err
	}
	until := wait.UTC().Format(time.RFC3339)
	chunk := min(wait.Sub(now), lease(in.LeaseSeconds)/2)
	first := since.IsZero()
	if first {
		since = now
	}
	if ts.Weight > 0 {
		left := MaxWindowHold - now.Sub(since)
		if left <= 0 {
			msg := fmt.Sprintf("deploy window shut with %d%% of %s on %s for %s (limit %s); rolling back", ts.Weight, in.Target.Name, ts.Candidate, now.Sub(since).Round(time.Second), MaxWindowHold)
			if err := s.record(ctx, in.event(release.EventNote, msg)); err != nil {
				return StepOutput{}, false, err
			}
			return StepOutput{}, false, &DeployWindowClosed{Message: msg}
		}
		chunk = min(chunk, left)
	}
	if first {
		msg := fmt.Sprintf("deploy window shut before shifting %s to %d%%; holding at %d%% (alarms watched) until %s", in.Target.Name, in.Step.Weight, ts.Weight, until)
		if ts.Weight > 0 {
			msg += fmt.Sprintf(", or for %s at most", MaxWindowHold)
		}
		if err := s.record(ctx, in.event(release.EventWindowWaiting, msg)); err != nil {
			return StepOutput{}, false, err
		}
	}
	return StepOutput{Hold: true, Weight: ts.Weight, BakeSeconds: max(1, int64((chunk+time.Second-1)/time.Second))}, true, nil
}

// holdingSince returns when the target started holding for the window in
// this step: the first DeployWindowWaiting for it since its last shift
// (zero when it is not holding).
func (s *Service) holdingSince(ctx context.Context, in ShiftInput) (time.Time, error) {
	events, err := s.allEvents(ctx, in.ReleaseID)
	if err != nil {
		return time.Time{}, err
	}
	var since time.Time
	for _, ev := range events {
		if ev.Target != in.Target.Name {
			continue
		}
		switch ev.Type {
		case release.EventTrafficShifted, release.EventTargetPrepared:
			since = time.Time{}
		case release.EventWindowWaiting:
			if since.IsZero() {
				since = ev.Time
			}
		}
	}
	return since, nil
}

// renew extends the release's lease on the target. A lease that ran out
// while nobody else took it is taken again, recorded as released (expired)
// and acquired anew; one another release took is lost.
func (s *Service) renew(ctx context.Context, in ShiftInput) error {
	_, err := s.Store.RenewLock(ctx, in.Target.Name, in.ReleaseID, lease(in.LeaseSeconds))
	if err == nil {
		return nil
	}
	if !errors.Is(err, release.ErrExpired) && !errors.Is(err, release.ErrNotFound) {
		return &LockLost{Message: fmt.Sprintf("target %s: release %s no longer holds the lock: %v", in.Target.Name, in.ReleaseID, err)}
	}
	// The lease ran out (and nobody kept it): that acquisition ended.
	if err := s.Store.ReleaseLock(ctx, in.Target.Name, in.ReleaseID); err != nil && !errors.Is(err, release.ErrNotFound) {
		return &LockLost{Message: fmt.Sprintf("target %s: release %s's lease ran out: %v", in.Target.Name, in.ReleaseID, err)}
	}
	if err := s.record(ctx, in.event(release.EventLockReleased, "lease on "+in.Target.Name+" ran out")); err != nil {
		return err
	}
	l, err := s.Store.AcquireLock(ctx, in.Target.Name, in.ReleaseID, lease(in.LeaseSeconds))
	if err != nil {
		return &LockLost{Message: fmt.Sprintf("target %s: release %s's lease ran out and could not be taken again: %v", in.Target.Name, in.ReleaseID, err)}
	}
	return s.record(ctx, in.event(release.EventLockAcquired, fmt.Sprintf("lock on %s acquired again after its lease ran out (fence %d)", in.Target.Name, l.Fence)))
}

// Hook serves the pre- and post-traffic hook Tasks. A phase without a hook
// passes at once.
func (s *Service) Hook(ctx context.Context, in HookInput) (struct{}, error) {
	return struct{}{}, Boundary(s.hook(ctx, in))
}

func (s *Service) hook(ctx context.Context, in HookInput) error {
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
	if err := s.checkWave(ctx, in.TargetTask); err != nil {
		return err
	}
	if s.Hooks == nil {
		return &HookFailed{Message: in.Phase + " hook configured but no hook runner is wired"}
	}
	inv := hooks.Invocation{ReleaseID: in.ReleaseID, Pipeline: in.Pipeline, Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name,
		Phase: hooks.Phase(in.Phase), Version: in.Artifact, Candidate: in.Split.Candidate}
	if err := s.Hooks.Run(ctx, *h, inv); err != nil {
		msg := fmt.Sprintf("%s hook on %s failed: %v", in.Phase, in.Target.Name, err)
		if rerr := s.record(ctx, in.event(release.EventHookFailed, msg)); rerr != nil {
			return rerr
		}
		return &HookFailed{Message: msg}
	}
	return s.record(ctx, in.event(release.EventHookPassed, in.Phase+" hook passed"))
}

// BakeFunction is the bake function: the bake registration (action
// register, the Lambda behind a waitForTaskToken Task) and the check after
// each bake (action check).
func (s *Service) BakeFunction() *Router {
	return NewRouter("bake", On("register", s.RegisterBake), On("check", s.CheckBake))
}

// RegisterBake serves the Bake and FinalBake Tasks (see registerBake).
func (s *Service) RegisterBake(ctx context.Context, in BakeInput) (struct{}, error) {
	if err := in.validate(); err != nil {
		return struct{}{}, Boundary(err)
	}
	return struct{}{}, Boundary(s.registerBake(ctx, in))
}

// CheckBake serves the BakeCheck and FinalBakeCheck Tasks (see checkBake).
func (s *Service) CheckBake(ctx context.Context, in BakeCheckInput) (StepOutput, error) {
	if err := in.validate(); err != nil {
		return StepOutput{}, Boundary(err)
	}
	out, err := s.checkBake(ctx, in)
	return out, Boundary(err)
}

// registerBake stores the bake's token with the alarms it watches, so an
// ALARM event can fail it, then closes the race with the alarms' current
// states: one already in ALARM fails the bake now.
func (s *Service) registerBake(ctx context.Context, in BakeInput) error {
	if in.Token == "" {
		return &InvalidInput{Message: "bake register: token is required"}
	}
	if err := s.checkWave(ctx, in.TargetTask); err != nil {
		return err
	}
	now := s.now()
	watched := in.Alarms
	if in.Split.Candidate != "" && in.Split.Candidate == in.Split.Stable {
		watched = nil // the known-good version: what an alarm would roll back to
	}
	tok := release.TaskToken{
		Token: in.Token, Kind: release.TokenBake, ReleaseID: in.ReleaseID, Pipeline: in.Pipeline,
		Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name, Alarms: watched,
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(in.Seconds)*time.Second + time.Hour),
	}
	if err := s.Store.PutTaskToken(ctx, tok); err != nil {
		return fmt.Errorf("store bake token for %s: %w", in.Target.Name, err)
	}
	if !in.Hold {
		ev := in.event(release.EventBakeStarted, fmt.Sprintf("baking %ds at %d%%, watching %s", in.Seconds, in.Step.Weight, alarmList(in.Alarms)))
		ev.Data = jsonData(map[string]any{"seconds": in.Seconds, "weight": in.Step.Weight, "alarms": watched})
		if err := s.record(ctx, ev); err != nil {
			return err
		}
		if err := s.startSynthetic(ctx, in); err != nil {
			return err
		}
	}
	if firing, err := s.firing(ctx, in.StepTask); err != nil {
		return err
	} else if len(firing) > 0 {
		if derr := s.Store.DeleteTaskToken(ctx, in.Token); derr != nil && !errors.Is(derr, release.ErrNotFound) {
			return fmt.Errorf("drop bake token for %s: %w", in.Target.Name, derr)
		}
		return s.alarmed(ctx, in.StepTask, firing)
	}
	return nil
}

// checkBake runs when a bake's time is up: a final alarm check closes the
// race with alarmwatch, and a bake that needs data is extended while the
// candidate has served too few requests. A hold (the deploy window shut)
// goes back to Shift.
func (s *Service) checkBake(ctx context.Context, in BakeCheckInput) (StepOutput, error) {
	if err := s.dropTokens(ctx, in.TargetTask); err != nil {
		return StepOutput{}, err
	}
	if err := s.stopSynthetic(ctx, in.event("", ""), in.Target, "the bake is over"); err != nil {
		return StepOutput{}, err
	}
	if err := s.checkWave(ctx, in.TargetTask); err != nil {
		return StepOutput{}, err
	}
	firing, err := s.firing(ctx, in.StepTask)
	if err != nil {
		return StepOutput{}, err
	}
	if len(firing) > 0 {
		return StepOutput{}, s.alarmed(ctx, in.StepTask, firing)
	}
	if in.Hold {
		return StepOutput{Hold: true, Weight: in.Step.Weight}, nil
	}
	elapsed := in.ElapsedSeconds + in.BakedSeconds
	out := StepOutput{Weight: in.Step.Weight, ElapsedSeconds: elapsed}
	// minRequests is the wave's bake's: the bake at 100% (docs/pipeline-
	// spec.md, bake). A canary step's bake is the deployment config's
	// interval, judged on time.
	if in.Bake.MinRequests > 0 && in.Step.Weight == 100 {
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
				return out, s.record(ctx, bakeExtended(in.event(release.EventBakeExtended,
					fmt.Sprintf("only %d of %d requests on %s after %ds; extending the bake by %ds", n, in.Bake.MinRequests, in.Split.Candidate, elapsed, out.BakeSeconds)), out.BakeSeconds, elapsed))
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
	if in.Step.Analysis != nil && in.Step.Weight > 0 && in.Step.Weight < 100 {
		next, done, err := s.analyze(ctx, in, out, elapsed)
		if err != nil || !done {
			return next, err
		}
	}
	return out, s.record(ctx, in.event(release.EventBakePassed, fmt.Sprintf("bake passed at %d%% after %ds", in.Step.Weight, elapsed)))
}

// analyze judges the canary against the baseline over the step's bake
// (shared/analysis: Mann-Whitney per metric, an effect-size threshold, a
// weighted score). Pass: the bake passes. Fail: AnalysisFailed. Marginal or
// inconclusive (too little data): the bake is extended within the wave's
// maxExtension, as a bake that needs requests is; when that runs out, a
// marginal result fails and an inconclusive one follows
// onInsufficientData. Every judgment is an AnalysisJudged event with the
// data it used.
func (s *Service) analyze(ctx context.Context, in BakeCheckInput, out StepOutput, elapsed int64) (StepOutput, bool, error) {
	if s.Analysis == nil {
		return StepOutput{}, false, &InvalidInput{Message: "the step asks for canary analysis but no metric source is wired"}
	}
	src, err := s.Analysis(in.Target)
	if err != nil {
		return StepOutput{}, false, &InvalidInput{Message: fmt.Sprintf("analysis source for %s: %v", in.Target.Name, err)}
	}
	cfg := analysis.FromRelease(*in.Step.Analysis)
	if pp, ok := src.(interface{ PerPeriod() bool }); ok && pp.PerPeriod() {
		cfg.PerPeriod = true // CloudWatch: per-period statistics, not per-request values
	}
	now := s.now()
	req := analysis.Request{Config: cfg,
		Canary: in.Split.Candidate, Baseline: in.Split.Stable, From: now.Add(-time.Duration(elapsed) * time.Second), To: now}
	judged := src
	if syn := in.Step.Analysis.Synthetic; syn != nil && syn.CountInJudgment {
		if ss, ok := src.(SyntheticSource); ok {
			judged = ss.WithSyntheticRequests() // the spec counts them with real traffic
		}
	}
	j, err := analysis.Analyze(ctx, judged, req)
	if err != nil {
		return StepOutput{}, false, fmt.Errorf("analysis of %s on %s: %w", in.Split.Candidate, in.Target.Name, err)
	}
	ev := in.event(release.EventAnalysis, fmt.Sprintf("canary analysis at %d%%: %s (score %.0f)", in.Step.Weight, j.Verdict, j.Score))
	ev.Data = jsonData(j)
	if err := s.record(ctx, ev); err != nil {
		return StepOutput{}, false, err
	}
	if j.Verdict == analysis.Inconclusive {
		// Real traffic too thin: synthetic requests, judged on their own,
		// decide if they can.
		sj, ok, err := s.judgeSynthetic(ctx, in, src, req)
		if err != nil {
			return StepOutput{}, false, err
		}
		if ok && sj.Verdict != analysis.Inconclusive {
			j = sj
		}
	}
	switch j.Verdict {
	case analysis.Pass:
		return out, true, nil
	case analysis.Fail:
		return StepOutput{}, false, &AnalysisFailed{Message: fmt.Sprintf("canary analysis failed %s on %s at %d%% (score %.0f)", in.Split.Candidate, in.Target.Name, in.Step.Weight, j.Score)}
	}
	limit := in.Step.BakeSeconds + in.Bake.MaxExtensionSeconds
	if elapsed < limit {
		out.BakeSeconds = min(limit-elapsed, max(1, (in.Step.BakeSeconds+3)/4))
		return out, false, s.record(ctx, bakeExtended(in.event(release.EventBakeExtended,
			fmt.Sprintf("canary analysis %s after %ds; extending the bake by %ds", j.Verdict, elapsed, out.BakeSeconds)), out.BakeSeconds, elapsed))
	}
	if j.Verdict == analysis.Inconclusive && in.Bake.OnInsufficientData == "promote" {
		return out, true, nil
	}
	return StepOutput{}, false, &AnalysisFailed{Message: fmt.Sprintf("canary analysis still %s for %s on %s after %ds (all extensions used)", j.Verdict, in.Split.Candidate, in.Target.Name, elapsed)}
}

// Finalize records the target promoted: the candidate has all its traffic,
// verified serving. The release still owns the target — the promotion is
// not known-good — until the release ends (see settle); the lease is
// released now.
func (s *Service) Finalize(ctx context.Context, in FinalizeInput) (TargetOutcome, error) {
	out, err := s.finalize(ctx, in)
	return out, Boundary(err)
}

func (s *Service) finalize(ctx context.Context, in FinalizeInput) (TargetOutcome, error) {
	if err := in.validate(); err != nil {
		return TargetOutcome{}, err
	}
	if err := s.checkWave(ctx, in.TargetTask); err != nil {
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
	if err := sh.Serving(ctx, in.Target, in.Split.Candidate); err != nil {
		return TargetOutcome{}, &HookFailed{Message: fmt.Sprintf("finalize %s: candidate %s is not serving: %v", in.Target.Name, in.Split.Candidate, err)}
	}
	ts, err := s.Store.GetTargetState(ctx, in.Target.Name)
	if err != nil {
		return TargetOutcome{}, fmt.Errorf("read target %s: %w", in.Target.Name, err)
	}
	if ts.ReleaseID != in.ReleaseID {
		return TargetOutcome{}, &LockLost{Message: fmt.Sprintf("finalize %s: release %s no longer owns it (release %s does)", in.Target.Name, in.ReleaseID, ts.ReleaseID)}
	}
	next := ts
	next.Stable, next.Candidate, next.Weight, next.Phase, next.UpdatedAt = in.Split.Candidate, in.Split.Candidate, 100, release.PhasePromoted, s.after(ts.UpdatedAt)
	if err := s.Store.SwapTargetState(ctx, ts, next); errors.Is(err, release.ErrConflict) {
		return TargetOutcome{}, &LockLost{Message: fmt.Sprintf("finalize %s: its state changed under release %s (a restore moved first)", in.Target.Name, in.ReleaseID)}
	} else if err != nil {
		return TargetOutcome{}, fmt.Errorf("record %s promoted: %w", in.Target.Name, err)
	}
	ev := in.event(release.EventTargetPromoted, fmt.Sprintf("%s now serves %s (its known-good version stays %s until the release ends)", in.Target.Name, in.Split.Candidate, ts.KnownGood))
	ev.Data = jsonData(map[string]any{"version": in.Split.Candidate, "previous": ts.KnownGood})
	if err := s.record(ctx, ev); err != nil {
		return TargetOutcome{}, err
	}
	if err := s.unwatch(ctx, in.ReleaseID, in.Target.Name); err != nil {
		return TargetOutcome{}, err
	}
	if err := s.unlock(ctx, in.ReleaseID, in.Stage, in.Wave, in.Target.Name); err != nil {
		return TargetOutcome{}, err
	}
	return TargetOutcome{Version: in.Split.Candidate}, nil
}

// Rollback is the deploy's one failure path: record why, abort the
// sibling targets' bakes, and restore this target (the one restore
// routine) to 100% on its known-good version, verified serving.
func (s *Service) Rollback(ctx context.Context, in RollbackInput) (TargetOutcome, error) {
	out, err := s.rollback(ctx, in)
	return out, Boundary(err)
}

func (s *Service) rollback(ctx context.Context, in RollbackInput) (TargetOutcome, error) {
	if err := in.validate(); err != nil {
		return TargetOutcome{}, err
	}
	reason := in.Error.Reason()
	if reason == "" {
		reason = "rollback requested"
	}
	led, err := s.ledger(ctx, in.ReleaseID)
	if err != nil {
		return TargetOutcome{}, err
	}
	touch, touched := led.Get(in.Target.Name)
	if !touch.Restoring && !touch.Restored {
		msg := reason
		if !touched {
			msg = "nothing to restore (no traffic moved): " + reason
		}
		if err := s.record(ctx, in.event(release.EventRollbackStarted, msg)); err != nil {
			return TargetOutcome{}, err
		}
		touch.Restoring = touched
	}
	if err := s.abortSiblings(ctx, in.ReleaseID, in.Stage, in.Wave, in.Target.Name, reason); err != nil {
		return TargetOutcome{}, err
	}
	_, p, err := s.load(ctx, in.ReleaseID)
	if err != nil {
		return TargetOutcome{}, err
	}
	t := targetOf(p, in.Target.Name)
	if t.Type == "" {
		t = in.Target
	}
	touch.Target = in.Target.Name
	done, attention, err := s.restoreTarget(ctx, in.ReleaseID, t, touch, reason)
	if err != nil {
		return TargetOutcome{}, err
	}
	if attention != "" {
		return TargetOutcome{}, &RestoreUnverified{Message: attention}
	}
	out := TargetOutcome{Version: touch.KnownGood, Reason: reason}
	if !done || !touched {
		out.Version = ""
	}
	return out, nil
}

// setTraffic applies a split and reads it back; a split that is live
// already (nothing moved yet) is only read back.
func (s *Service) setTraffic(ctx context.Context, t release.Target, split traffic.Split) error {
	sh, err := s.shifter(t)
	if err != nil {
		return err
	}
	if sh.Verify(ctx, t, split) == nil {
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
// rolling back, RollbackRequested when a person asked for a rollback, and
// Cancelled when the release already ended.
func (s *Service) checkWave(ctx context.Context, in TargetTask) error {
	events, err := s.allEvents(ctx, in.ReleaseID)
	if err != nil {
		return err
	}
	for _, ev := range events {
		switch {
		case ev.Type == release.EventRollbackStarted && ev.Stage == in.Stage && ev.Wave == in.Wave && ev.Target != in.Target.Name && ev.Target != "":
			return &WaveAborted{Message: fmt.Sprintf("target %s of wave %s is rolling back: %s", ev.Target, in.Wave, ev.Message)}
		case ev.Type == release.EventAlarm && in.Target.Name != "" && ev.Target == in.Target.Name:
			// alarmwatch saw an alarm while this target held partial
			// traffic between two bakes (its watch, release.TokenWatch).
			return &AlarmTriggered{Message: ev.Message}
		case ev.Type == release.EventRollbackRequest:
			return &RollbackRequested{Message: ev.Message}
		case ev.Type.Ends():
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
func (s *Service) dropTokens(ctx context.Context, in TargetTask) error {
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

// firing returns the watched alarms now in ALARM. A candidate that is the
// target's known-good version is what a rollback would return to, so
// alarms do not fail it (the note says so).
func (s *Service) firing(ctx context.Context, in StepTask) ([]string, error) {
	if len(in.Alarms) == 0 {
		return nil, nil
	}
	if s.Alarms == nil {
		return nil, &PreflightFailed{Message: "alarms are configured but no alarm source is wired"}
	}
	states, err := s.Alarms.States(ctx, in.Alarms)
	if err != nil {
		return nil, fmt.Errorf("read alarm states: %w", err)
	}
	var out []string
	for _, n := range in.Alarms {
		if states[n] == alarms.StateAlarm {
			out = append(out, n)
		}
	}
	if len(out) > 0 && in.Split.Candidate != "" && in.Split.Candidate == in.Split.Stable {
		return nil, s.record(ctx, in.event(release.EventNote, fmt.Sprintf("alarm %s in ALARM ignored: %s is the known-good version of %s", strings.Join(out, ", "), in.Split.Candidate, in.Target.Name)))
	}
	return out, nil
}

func (s *Service) alarmed(ctx context.Context, in StepTask, firing []string) error {
	msg := fmt.Sprintf("alarm %s in ALARM while %s served %d%% on %s", strings.Join(firing, ", "), in.Target.Name, in.Step.Weight, in.Split.Candidate)
	if err := s.record(ctx, in.event(release.EventAlarm, msg)); err != nil {
		return err
	}
	return &AlarmTriggered{Message: msg}
}

// unlock releases the release's lease on target and records it, once per
// acquisition: a lease not held (released already, or never taken) records
// nothing.
func (s *Service) unlock(ctx context.Context, releaseID, stage, wave, target string) error {
	err := s.Store.ReleaseLock(ctx, target, releaseID)
	if errors.Is(err, release.ErrNotFound) || errors.Is(err, release.ErrLocked) {
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

func (in TargetTask) validate() error {
	switch {
	case in.ReleaseID == "":
		return &InvalidInput{Message: "releaseId is required"}
	case in.Target.Name == "":
		return &InvalidInput{Message: "target.name is required"}
	}
	return nil
}

func (in TargetTask) event(t release.EventType, msg string) release.Event {
	return release.Event{ReleaseID: in.ReleaseID, Type: t, Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name, Message: msg}
}

func lease(seconds int64) time.Duration {
	if seconds <= 0 {
		return 2 * time.Hour
	}
	return time.Duration(seconds) * time.Second
}

// bakeExtended gives a BakeExtended event its data: the seconds the bake
// runs on from now, and the seconds it has baked.
func bakeExtended(ev release.Event, seconds, elapsed int64) release.Event {
	ev.Data = jsonData(map[string]any{"seconds": seconds, "elapsed": elapsed})
	return ev
}

func jsonData(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil // maps of strings and numbers always encode
	}
	return b
}

func alarmList(names []string) string {
	if len(names) == 0 {
		return "no alarms"
	}
	return strings.Join(names, ", ")
}
