package local

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// rollbackWait is how long a manual rollback waits for the release's own
// failure path before it stops the execution and reconciles instead (a
// release waiting for a deploy window or a lock has no task to fail).
const rollbackWait = 20 * time.Second

// Rollback rolls a running release back through its own failure path
// (control.Service.RequestRollback: every target it touched is restored as
// its onFailure says) and waits until it has ended. A release whose
// execution is not in this stack (it died with an earlier run), or that
// does not end within rollbackWait, is stopped and reconciled: the same
// restore routine, from the ledger.
func (s *Stack) Rollback(ctx context.Context, id, actor, reason string) (release.Release, error) {
	rel, err := s.svc.RequestRollback(ctx, control.RollbackRequest{ReleaseID: id, Actor: actor, Reason: reason})
	if err != nil {
		return rel, err
	}
	s.mu.Lock()
	x, ok := s.execs[id]
	s.mu.Unlock()
	if ok {
		select {
		case <-x.Done():
		case <-ctx.Done():
			return rel, ctx.Err()
		case <-time.After(rollbackWait):
			x.Stop("RollbackRequested", reason)
			select {
			case <-x.Done():
			case <-ctx.Done():
				return rel, ctx.Err()
			}
		}
	}
	// The execution has ended: its own path finished the release, or the
	// watcher's reconcile will; reconciling here too is idempotent.
	return s.reconcileRelease(ctx, id, "rollback requested by "+actor+": "+reason)
}

// reconcileRelease ends a release whose execution is gone through
// control.Service.Reconcile, as the Step Functions status-change rule does
// on AWS.
func (s *Stack) reconcileRelease(ctx context.Context, id, cause string) (release.Release, error) {
	name, err := executionName(id)
	if err != nil {
		return release.Release{}, err
	}
	input := fmt.Sprintf(`{"releaseId":%q}`, id)
	if _, err := s.svc.Reconcile(ctx, control.ExecutionChange{Name: name, Status: "ABORTED", Input: input, Error: "States.Aborted", Cause: cause}); err != nil {
		return release.Release{}, fmt.Errorf("reconcile %s: %w", id, err)
	}
	return s.store.GetRelease(ctx, id)
}

// Undo takes a release back (control.Service.Undo): one still running is
// rolled back and waited for, as Rollback does; one that ended has every
// target it settled restored to the version it replaced, by a break-glass
// restore whose release is returned.
func (s *Stack) Undo(ctx context.Context, id, actor, reason string) (release.Release, error) {
	rel, err := s.store.GetRelease(ctx, id)
	if err != nil {
		return release.Release{}, err
	}
	if !rel.Status.Terminal() {
		return s.Rollback(ctx, id, actor, reason)
	}
	return s.svc.Undo(ctx, control.UndoRequest{ReleaseID: id, Actor: actor, Reason: reason})
}

// alreadyServes reports whether every target of p already serves artifact
// as its settled, known-good version: pushing it again would change
// nothing.
func (s *Stack) alreadyServes(ctx context.Context, p release.Pipeline, artifact string) (string, bool) {
	var names []string
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			for _, t := range w.Targets {
				ts, err := s.store.GetTargetState(ctx, t.Name)
				switch {
				case err == nil && ts.Settled() && ts.KnownGood == artifact:
				case err != nil && s.initialVersion(ctx, t) == artifact:
				default:
					return "", false
				}
				names = append(names, t.Name)
			}
		}
	}
	if len(names) == 0 {
		return "", false
	}
	return fmt.Sprintf("every target of %s (%s) already serves %s; nothing to release", p.Name, strings.Join(names, ", "), artifact), true
}

// initialVersion is what a target never deployed serves.
func (s *Stack) initialVersion(ctx context.Context, t release.Target) string {
	s.mu.Lock()
	sv, ok := s.byTarget[t.Name]
	s.mu.Unlock()
	if !ok {
		return ""
	}
	route, err := s.fleet.Route(ctx, sv.Name)
	if err != nil || route.Weight != 0 {
		return ""
	}
	return route.Stable
}
