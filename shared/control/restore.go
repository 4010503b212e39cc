package control

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// The one restore routine. Every path that ends a release — a deploy's own
// failure, the wave judgment, the release's Finish, a manual rollback, an
// approval that is rejected or times out, and reconcile after a crash —
// computes a scope over the release's ledger (release.NewLedger) and calls
// restore, which returns each target in scope to its known-good version,
// verified serving, recording every step. A restore interrupted by a crash
// is found again in the ledger (RollbackStarted without RolledBack) and in
// the target's RESTORING phase, and resumed by whoever ends the release.

// scopeKind says why a release is restoring.
type scopeKind int

const (
	// scopeCancel: the release gave way (superseded, rejected, timed out,
	// cancelled). Targets it promoted are kept; only partial traffic and
	// interrupted restores are undone.
	scopeCancel scopeKind = iota
	// scopeFailure: a wave failed (or a rollback was requested, or the
	// control plane died in it): the failing wave's targets are restored,
	// and with onFailure rollbackAllWaves every target the release touched.
	scopeFailure
)

// restoreScope picks the ledger entries a restore covers.
type restoreScope struct {
	kind  scopeKind
	stage string
	wave  string
	mode  release.FailureMode
}

// includes reports whether a ledger entry is in scope. Settled entries are
// never restored: their versions became known-good.
func (sc restoreScope) includes(t release.Touch) bool {
	switch {
	case t.Settled, t.Restored:
		return false
	case t.Restoring, !t.Promoted:
		return true
	case sc.kind == scopeCancel:
		return false
	case sc.mode == release.FailureRollbackAllWaves:
		return true
	}
	return t.Stage == sc.stage && t.Wave == sc.wave
}

// failureScope is the scope of a failure of the wave the release is in (or
// was in when it stopped): the newest touched wave not judged yet, under
// that wave's onFailure.
func failureScope(p release.Pipeline, led release.Ledger) restoreScope {
	stage, wave, ok := led.Current()
	if !ok {
		// Between waves, nothing in flight: only partial traffic or an
		// interrupted restore is undone, and the promoted waves stay —
		// unless the pipeline's onFailure is rollbackAllWaves, which
		// restores every target the release touched wherever it failed.
		return restoreScope{kind: scopeFailure, mode: firstMode(p.OnFailure, release.FailureRollbackWave)}
	}
	return restoreScope{kind: scopeFailure, stage: stage, wave: wave, mode: waveMode(p, stage, wave)}
}

// waveMode is a wave's effective onFailure.
func waveMode(p release.Pipeline, stage, wave string) release.FailureMode {
	for _, st := range p.Stages {
		if st.Name != stage {
			continue
		}
		for _, w := range st.Waves {
			if w.Name == wave {
				return firstMode(w.OnFailure, p.OnFailure, release.FailureRollbackWave)
			}
		}
	}
	return firstMode(p.OnFailure, release.FailureRollbackWave)
}

// restoreResult is what a restore did.
type restoreResult struct {
	// Restored lists the targets verified back on their known-good version.
	Restored []string
	// Attention lists, per target, why it could not be verified.
	Attention []string
}

func (r restoreResult) err() error {
	if len(r.Attention) == 0 {
		return nil
	}
	var once []string
	for _, a := range r.Attention {
		if !slices.Contains(once, a) {
			once = append(once, a)
		}
	}
	return errors.New(strings.Join(once, "; "))
}

// ledger reads a release's ledger.
func (s *Service) ledger(ctx context.Context, releaseID string) (release.Ledger, error) {
	events, err := s.allEvents(ctx, releaseID)
	if err != nil {
		return release.Ledger{}, err
	}
	return release.NewLedger(events), nil
}

// restore returns every ledger entry in scope to its known-good version,
// newest first, and also any target of the pipeline whose stored state says
// the release owns it although the log never said so (a crash between the
// write-ahead target state and its event). Transient failures are
// returned as errors (retry); a target that cannot be verified serving its
// known-good version is reported in Attention.
func (s *Service) restore(ctx context.Context, releaseID string, p release.Pipeline, led release.Ledger, sc restoreScope, reason string) (restoreResult, error) {
	var res restoreResult
	var errs []error
	seen := map[string]bool{}
	for i := len(led.Touches) - 1; i >= 0; i-- {
		t := led.Touches[i]
		seen[t.Target] = true
		if !sc.includes(t) {
			continue
		}
		s.restoreOne(ctx, releaseID, targetOf(p, t.Target), t, reason, &res, &errs)
	}
	for _, t := range pipelineTargets(p) {
		if seen[t.Name] {
			continue
		}
		ts, err := s.Store.GetTargetState(ctx, t.Name)
		if err != nil || ts.ReleaseID != releaseID || ts.Settled() || ts.Phase == release.PhasePromoted {
			continue
		}
		s.restoreOne(ctx, releaseID, t, release.Touch{Target: t.Name, Stage: ts.Stage, Wave: ts.Wave, KnownGood: ts.KnownGood}, reason, &res, &errs)
	}
	return res, errors.Join(errs...)
}

func (s *Service) restoreOne(ctx context.Context, releaseID string, t release.Target, touch release.Touch, reason string, res *restoreResult, errs *[]error) {
	done, attention, err := s.restoreTarget(ctx, releaseID, t, touch, reason)
	switch {
	case err != nil:
		*errs = append(*errs, err)
	case attention != "":
		res.Attention = append(res.Attention, attention)
	case done:
		res.Restored = append(res.Restored, t.Name)
	}
}

// restoreTarget returns one target the release owns to 100% on its
// known-good version. It claims the target's state (RESTORING, a
// compare-and-swap, so concurrent restorers of the same release take turns
// and exactly one records RolledBack), holds the lock lease while traffic
// moves, checks that the known-good version is serving before and after,
// and records RollbackStarted, RolledBack or RestoreFailed. done is true
// when the target is verified back (now or before); attention says why it
// could not be.
func (s *Service) restoreTarget(ctx context.Context, releaseID string, t release.Target, touch release.Touch, reason string) (done bool, attention string, err error) {
	// Synthetic requests of an analysis step end with it, whatever ends it;
	// failing to stop them never holds a restore back (each generator also
	// stops by itself at its deadline).
	syn := release.Event{ReleaseID: releaseID, Stage: touch.Stage, Wave: touch.Wave, Target: t.Name}
	if err := s.stopSynthetic(ctx, syn, t, "the target is being restored"); err != nil {
		s.log().WarnContext(ctx, "synthetic traffic not stopped", "releaseId", releaseID, "target", t.Name, "error", err)
	}
	for range 5 {
		ts, err := s.Store.GetTargetState(ctx, t.Name)
		if errors.Is(err, release.ErrNotFound) {
			return false, "", s.unlock(ctx, releaseID, touch.Stage, touch.Wave, t.Name) // never prepared: nothing moved
		}
		if err != nil {
			return false, "", fmt.Errorf("read target %s: %w", t.Name, err)
		}
		switch {
		case ts.ReleaseID != releaseID:
			if touch.Candidate == "" && !touch.Moved {
				// The release never prepared it: nothing of ours to undo.
				return false, "", s.unlock(ctx, releaseID, touch.Stage, touch.Wave, t.Name)
			}
			if touch.Settled || touch.Restored {
				return true, "", nil
			}
			return false, fmt.Sprintf("%s is owned by release %s now; this release could not restore it", t.Name, ts.ReleaseID), nil
		case ts.Phase == release.PhaseRolledBack:
			if !touch.Restored {
				// Restored and verified, but the crash came before the event.
				if err := s.recordRolledBack(ctx, releaseID, ts, reason); err != nil {
					return false, "", err
				}
			}
			if err := s.unwatch(ctx, releaseID, t.Name); err != nil {
				return false, "", err
			}
			return true, "", s.unlock(ctx, releaseID, ts.Stage, ts.Wave, t.Name)
		case ts.Phase == release.PhaseStable:
			return true, "", s.unlock(ctx, releaseID, ts.Stage, ts.Wave, t.Name)
		}
		version := firstString(ts.KnownGood, touch.KnownGood, ts.Previous)
		if version == "" {
			return false, fmt.Sprintf("%s has no known-good version to return to", t.Name), nil
		}
		if touch.RestoreFailed != "" {
			// Tried and could not: try again only once the version serves,
			// without a fresh claim, lock and log entry per attempt.
			if sh, err := s.shifter(t); err == nil {
				if msg, err := notServing(ctx, sh, t, version, "%s: %s is still not serving: %v"); err != nil {
					return false, "", err
				} else if msg != "" {
					return false, touch.RestoreFailed, nil
				}
			}
		}
		claim := ts
		claim.Phase, claim.UpdatedAt = release.PhaseRestoring, s.after(ts.UpdatedAt)
		if err := s.Store.SwapTargetState(ctx, ts, claim); errors.Is(err, release.ErrConflict) {
			continue // another restorer moved first: read again
		} else if err != nil {
			return false, "", fmt.Errorf("claim %s for restoring: %w", t.Name, err)
		}
		if err := s.holdLock(ctx, releaseID, ts.Stage, ts.Wave, t.Name); err != nil {
			return false, "", err
		}
		if ts.Phase != release.PhaseRestoring && !touch.Restoring {
			ev := release.Event{ReleaseID: releaseID, Type: release.EventRollbackStarted, Stage: ts.Stage, Wave: ts.Wave, Target: t.Name,
				Message: fmt.Sprintf("restoring %s to %s: %s", t.Name, version, reason)}
			if err := s.record(ctx, ev); err != nil {
				return false, "", err
			}
		}
		msg, err := s.restoreTraffic(ctx, t, version, ts.Candidate)
		if err != nil {
			// A transient failure (a throttle, a timeout that may or may
			// not have applied): the claim and the lease stay, and the
			// caller's retry resumes from RESTORING.
			return false, "", err
		}
		if msg != "" {
			ev := release.Event{ReleaseID: releaseID, Type: release.EventRestoreFailed, Stage: ts.Stage, Wave: ts.Wave, Target: t.Name, Message: msg}
			if err := s.record(ctx, ev); err != nil {
				return false, "", err
			}
			return false, msg, s.unlock(ctx, releaseID, ts.Stage, ts.Wave, t.Name)
		}
		final := claim
		final.Stable, final.Weight, final.Phase, final.UpdatedAt = version, 0, release.PhaseRolledBack, s.after(claim.UpdatedAt)
		if err := s.Store.SwapTargetState(ctx, claim, final); errors.Is(err, release.ErrConflict) {
			continue // a concurrent restorer took over; it records the result
		} else if err != nil {
			return false, "", fmt.Errorf("record %s restored: %w", t.Name, err)
		}
		if err := s.recordRolledBack(ctx, releaseID, final, reason); err != nil {
			return false, "", err
		}
		if err := s.unwatch(ctx, releaseID, t.Name); err != nil {
			return false, "", err
		}
		return true, "", s.unlock(ctx, releaseID, final.Stage, final.Wave, t.Name)
	}
	return false, "", &TransientError{Message: fmt.Sprintf("restore %s: its state kept changing under concurrent restorers", t.Name)}
}

// restoreTraffic puts 100% of t on version and verifies it is serving
// there. It returns why the version does not serve (the restore cannot be
// verified: a person must look), or an error for a failure worth retrying
// (the shifter's API failed).
func (s *Service) restoreTraffic(ctx context.Context, t release.Target, version, candidate string) (string, error) {
	sh, err := s.shifter(t)
	if err != nil {
		return err.Error(), nil
	}
	if msg, err := notServing(ctx, sh, t, version, "cannot restore %s: its known-good version %s is not serving: %v"); msg != "" || err != nil {
		return msg, err
	}
	split := traffic.Split{Stable: version, Candidate: candidate, Weight: 0}
	if err := s.setTraffic(ctx, t, split); err != nil {
		if errors.Is(err, release.ErrInvalid) {
			return fmt.Sprintf("cannot restore %s to %s: %v", t.Name, version, err), nil
		}
		return "", &TransientError{Message: fmt.Sprintf("restore %s to %s: %v", t.Name, version, err)}
	}
	return notServing(ctx, sh, t, version, "restored %s to %s, but it is not serving: %v")
}

// notServing returns the formatted reason when version does not serve
// (the Serving contract's ErrConflict, ErrNotFound or ErrInvalid), and a
// transient error when the check itself failed (a throttle, a timeout).
func notServing(ctx context.Context, sh Shifter, t release.Target, version, format string) (string, error) {
	err := sh.Serving(ctx, t, version)
	switch {
	case err == nil:
		return "", nil
	case errors.Is(err, release.ErrConflict), errors.Is(err, release.ErrNotFound), errors.Is(err, release.ErrInvalid):
		return fmt.Sprintf(format, t.Name, version, err), nil
	}
	return "", &TransientError{Message: fmt.Sprintf("check that %s serves %s: %v", t.Name, version, err)}
}

func (s *Service) recordRolledBack(ctx context.Context, releaseID string, ts release.TargetState, reason string) error {
	ev := release.Event{ReleaseID: releaseID, Type: release.EventRolledBack, Stage: ts.Stage, Wave: ts.Wave, Target: ts.Target,
		Message: fmt.Sprintf("100%% of %s back on %s (verified serving): %s", ts.Target, ts.Stable, reason)}
	ev.Data = jsonData(map[string]any{"version": ts.Stable, "from": ts.Candidate})
	return s.record(ctx, ev)
}

// holdLock makes sure the release holds the target's lease while a
// restore moves its traffic, recording LockAcquired if it takes it anew.
func (s *Service) holdLock(ctx context.Context, releaseID, stage, wave, target string) error {
	l, err := s.Store.AcquireLock(ctx, target, releaseID, 10*time.Minute)
	if errors.Is(err, release.ErrLocked) {
		// Another release is in its lock check and will give way: the
		// target is ours by its state.
		return &TransientError{Message: fmt.Sprintf("restore %s: its lock is briefly held by another release: %v", target, err)}
	}
	if err != nil {
		return fmt.Errorf("lock %s for restoring: %w", target, err)
	}
	led, err := s.ledger(ctx, releaseID)
	if err != nil {
		return err
	}
	if t, ok := led.Get(target); ok && t.LockHeld {
		return nil
	}
	return s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventLockAcquired, Stage: stage, Wave: wave, Target: target,
		Message: fmt.Sprintf("lock on %s acquired to restore it (fence %d)", target, l.Fence)})
}

// settle makes the target's promoted candidate its known-good version
// once the release that promoted it has ended without rolling it back:
// only then is it proven good (a release still in flight may roll any of
// its promotions back).
//
// ending is the outcome the release ends with, when its ender has decided
// it before settling (a give-way or success): it goes into the event, so a
// crash before the release reaches it resumes the same outcome.
func (s *Service) settle(ctx context.Context, releaseID, target string, ending release.Status) error {
	for range 5 {
		ts, err := s.Store.GetTargetState(ctx, target)
		if err != nil {
			return fmt.Errorf("settle %s: %w", target, err)
		}
		if ts.ReleaseID != releaseID || ts.Phase != release.PhasePromoted {
			return nil // settled already, or not ours
		}
		next := ts.Settle(ts.Stable, s.after(ts.UpdatedAt))
		if err := s.Store.SwapTargetState(ctx, ts, next); errors.Is(err, release.ErrConflict) {
			continue
		} else if err != nil {
			return fmt.Errorf("settle %s: %w", target, err)
		}
		ev := release.Event{ReleaseID: releaseID, Type: release.EventTargetSettled, Stage: ts.Stage, Wave: ts.Wave, Target: target,
			Message: fmt.Sprintf("%s is now the known-good version of %s", next.KnownGood, target)}
		data := map[string]any{"version": next.KnownGood}
		if ending != "" {
			data["ending"] = ending
		}
		ev.Data = jsonData(data)
		return s.record(ctx, ev)
	}
	return &TransientError{Message: "settle " + target + ": its state kept changing"}
}

// closeOut finishes what an ended release left behind: an interrupted
// restore, partial traffic, a promotion never settled, a lease never
// released, tokens nobody will complete. It is idempotent; reconcile and the next release to want one
// of its targets call it.
//
// ending is the outcome already decided for a release still ending ("" if
// none is yet); an ended release's is its status.
func (s *Service) closeOut(ctx context.Context, r release.Release, p release.Pipeline, reason string, ending release.Status) (restoreResult, error) {
	if r.Status.Terminal() {
		ending = r.Status
	}
	led, err := s.ledger(ctx, r.ID)
	if err != nil {
		return restoreResult{}, err
	}
	res, err := s.restore(ctx, r.ID, p, led, restoreScope{kind: scopeCancel}, reason)
	if err != nil {
		return res, err
	}
	if led, err = s.ledger(ctx, r.ID); err != nil {
		return res, err
	}
	for _, t := range led.Touches {
		if t.Promoted && !t.Settled && !t.Restored {
			if err := s.settle(ctx, r.ID, t.Target, ending); err != nil {
				return res, err
			}
		}
		if t.LockHeld {
			if err := s.unlock(ctx, r.ID, t.Stage, t.Wave, t.Target); err != nil {
				return res, err
			}
		}
	}
	// Whatever the release was waiting on is over: bakes, approvals and
	// watches of a stopped execution would otherwise wait for alarmwatch.
	toks, err := s.Store.TokensByRelease(ctx, r.ID)
	if err != nil {
		return res, fmt.Errorf("tokens of release %s: %w", r.ID, err)
	}
	for _, tok := range toks {
		if err := s.Store.DeleteTaskToken(ctx, tok.Token); err != nil && !errors.Is(err, release.ErrNotFound) {
			return res, fmt.Errorf("drop token of release %s: %w", r.ID, err)
		}
	}
	return res, nil
}

// after returns now, or just after t if the clock is behind it, so target
// states keep moving forward.
func (s *Service) after(t time.Time) time.Time {
	now := s.now()
	if !now.After(t) {
		return t.Add(time.Millisecond)
	}
	return now
}

func targetOf(p release.Pipeline, name string) release.Target {
	for _, t := range pipelineTargets(p) {
		if t.Name == name {
			return t
		}
	}
	return release.Target{Name: name}
}

func pipelineTargets(p release.Pipeline) []release.Target {
	var out []release.Target
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			out = append(out, w.Targets...)
		}
	}
	return out
}
