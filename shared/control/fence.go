package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Traffic writes are fenced by the target's state, not by the traffic API:
// an ALB listener's weights take no condition, and a write that a Lambda
// invocation sent may land after Step Functions has given up on it (a
// stopped or timed-out execution does not stop its running invocation).
// So every traffic write of a release follows the conditional write of the
// target state that intends it (a restore claims the state the same way),
// and is followed by confirmWrite, a read of that state: a writer that
// finds the state changed under it puts the traffic back to what the state
// now records. The last traffic write then always matches the last
// recorded intent, whatever order the writes landed in.
//
// What this cannot cover: a write whose call failed (a timeout) and that
// the traffic API applies later still. Only a condition at the traffic API
// itself refuses that: the Lambda alias shifter sends the RevisionId it
// read in the same call; an ALB listener's weights take no condition.

// confirmTimeout bounds confirmWrite. It runs even when the caller's
// context is done: the write it checks is already out.
const confirmTimeout = 30 * time.Second

// confirmWrite checks, after a shift wrote traffic for wrote (prev is the
// state it replaced), that the target's state still records that write. If
// it does not, it puts the traffic back to what the state records and
// returns LockLost.
func (s *Service) confirmWrite(ctx context.Context, in TargetTask, sh Shifter, prev, wrote release.TargetState) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
	defer cancel()
	seen := wrote
	for attempt := 0; ; attempt++ {
		ts, err := s.Store.GetTargetState(ctx, in.Target.Name)
		if err != nil {
			return &TransientError{Message: fmt.Sprintf("confirm the shift of %s: read its state: %v", in.Target.Name, err)}
		}
		if sameWrite(ts, seen) {
			if attempt == 0 {
				return nil
			}
			return &LockLost{Message: fmt.Sprintf("target %s changed while release %s shifted it; its traffic is back to what its state records (%s %s)", in.Target.Name, in.ReleaseID, ts.Phase, ts.ReleaseID)}
		}
		if attempt == 5 {
			return &TransientError{Message: fmt.Sprintf("confirm the shift of %s: its state kept changing", in.Target.Name)}
		}
		split, note := s.intended(ctx, sh, in.Target, ts, prev)
		msg := fmt.Sprintf("%s changed while this release shifted it (now %s, release %s): putting its traffic to %s", in.Target.Name, ts.Phase, ts.ReleaseID, split)
		if note != "" {
			msg += "; " + note
		}
		if err := s.record(ctx, in.event(release.EventNote, msg)); err != nil {
			return err
		}
		if err := s.setTraffic(ctx, in.Target, split); err != nil {
			return &TransientError{Message: fmt.Sprintf("put %s back to %s after a stale shift: %v", in.Target.Name, split, err)}
		}
		seen = ts
	}
}

// sameWrite reports whether two target states record the same write. The
// stores keep update times to the millisecond, so they are compared so.
func sameWrite(a, b release.TargetState) bool {
	return a.ReleaseID == b.ReleaseID && a.Phase == b.Phase && a.Stable == b.Stable && a.Candidate == b.Candidate &&
		a.Weight == b.Weight && a.UpdatedAt.UnixMilli() == b.UpdatedAt.UnixMilli()
}

// intended is the traffic ts records. A restore (RESTORING, ROLLED_BACK,
// STABLE) means 100% on its version, but only if that version serves: a
// restorer that found it not serving left the traffic as it was, so the
// stale write is undone instead (back to prev), and note says why.
func (s *Service) intended(ctx context.Context, sh Shifter, t release.Target, ts, prev release.TargetState) (traffic.Split, string) {
	switch ts.Phase {
	case release.PhaseShifting, release.PhasePromoted:
		return traffic.Split{Stable: ts.Stable, Candidate: ts.Candidate, Weight: ts.Weight}, ""
	}
	version := ts.Stable
	if ts.Phase == release.PhaseRestoring {
		version = firstString(ts.KnownGood, ts.Previous)
	}
	if err := sh.Serving(ctx, t, version); err != nil {
		undo := traffic.Split{Stable: prev.Stable, Candidate: prev.Candidate, Weight: prev.Weight}
		if errors.Is(err, release.ErrConflict) || errors.Is(err, release.ErrNotFound) {
			return undo, fmt.Sprintf("%s does not serve (%v), so this release's write is undone instead", version, err)
		}
		return undo, fmt.Sprintf("cannot tell whether %s serves (%v), so this release's write is undone instead", version, err)
	}
	return traffic.Split{Stable: version, Candidate: ts.Candidate}, ""
}
