package control

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// Creator stores new releases; *store.Store is one. CreateRelease returns
// the existing release and created=false for a trigger key seen before.
type Creator interface {
	CreateRelease(ctx context.Context, r release.Release) (rel release.Release, created bool, err error)
}

// RestoreRequest asks for targets to be put back on a known-good version:
// the way back that always exists.
type RestoreRequest struct {
	Pipeline string
	// Targets names the targets to restore; empty means every target of
	// the pipeline.
	Targets []string
	// Version is an earlier known-good version to restore to; empty means
	// each target's last known-good version.
	Version string
	// Versions names the version per target, taking precedence over
	// Version (an undo returns each target to the version it replaced).
	Versions map[string]string
	// Key makes the request idempotent: the same key restores once.
	Key    string
	Actor  string
	Reason string
}

// Restore is break-glass: it returns the targets to a known-good version
// right away — no plan, bakes, approvals or alarm pre-flight, so it works
// while alarms fire — as a release of its own (trigger kind restore) whose
// log records the actor, the reason and every target restored, verified
// serving. A target that another release still owns is refused
// (ErrConflict: roll that release back first); a version that was never
// known-good on a target is refused (ErrInvalid), before anything is
// stored. The release ends SUCCEEDED, or NEEDS_ATTENTION naming what could
// not be verified.
func (s *Service) Restore(ctx context.Context, req RestoreRequest) (release.Release, error) {
	if s.Creator == nil || s.Shifters == nil {
		return release.Release{}, release.Errorf(release.ErrInvalid, "restore: this handler cannot move traffic (no release store or traffic shifters are wired); use shipwave release restore")
	}
	if req.Pipeline == "" || req.Actor == "" {
		return release.Release{}, release.Errorf(release.ErrInvalid, "restore: pipeline and actor are required")
	}
	sv, err := s.Store.GetSpec(ctx, req.Pipeline, 0)
	if err != nil {
		return release.Release{}, fmt.Errorf("restore %s: %w", req.Pipeline, err)
	}
	plan, err := s.restorePlan(ctx, sv.Parsed, req)
	if err != nil {
		return release.Release{}, err
	}
	version := req.Version
	if version == "" {
		version = "known-good"
	}
	key := req.Key
	if key == "" {
		key = fmt.Sprintf("restore:%s:%d", req.Actor, s.now().UnixNano())
	}
	r, created, err := s.Creator.CreateRelease(ctx, release.Release{
		Pipeline: req.Pipeline, SpecVersion: sv.Version, Version: version,
		Trigger: release.Trigger{Kind: release.TriggerRestore, Key: "restore:" + key, Actor: req.Actor, Time: s.now()},
	})
	if err != nil {
		return release.Release{}, fmt.Errorf("restore %s: %w", req.Pipeline, err)
	}
	if !created {
		return r, nil
	}
	reason := fmt.Sprintf("restore requested by %s", req.Actor)
	if req.Reason != "" {
		reason += ": " + req.Reason
	}
	if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: release.EventCreated, Message: reason,
		Data: jsonData(map[string]any{"actor": req.Actor, "reason": req.Reason, "version": req.Version, "targets": req.Targets})}); err != nil {
		return r, err
	}
	if r, err = s.Store.TransitionRelease(ctx, r.ID, release.StatusInProgress, ""); err != nil {
		return r, fmt.Errorf("restore %s: %w", req.Pipeline, err)
	}
	if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: release.EventStarted, Message: "break-glass restore of " + strings.Join(targetNames(plan), ", ")}); err != nil {
		return r, err
	}
	var attention []string
	for _, step := range plan {
		if msg, err := s.restoreTo(ctx, r.ID, step, reason); err != nil {
			attention = append(attention, err.Error())
		} else if msg != "" {
			attention = append(attention, msg)
		}
	}
	to, msg := release.StatusSucceeded, "restored "+strings.Join(targetNames(plan), ", ")
	if len(attention) > 0 {
		to, msg = release.StatusNeedsAttention, strings.Join(attention, "; ")
	}
	if r, err = s.Store.TransitionRelease(ctx, r.ID, to, msg); err != nil {
		return r, fmt.Errorf("restore %s: %w", req.Pipeline, err)
	}
	return r, s.record(ctx, release.Event{ReleaseID: r.ID, Type: to.EndEvent(), Message: "release " + string(to) + ": " + msg})
}

// restoreStep is one target of a break-glass restore and its version.
type restoreStep struct {
	target  release.Target
	state   release.TargetState
	version string
}

// restorePlan checks the whole request before anything is stored.
func (s *Service) restorePlan(ctx context.Context, p release.Pipeline, req RestoreRequest) ([]restoreStep, error) {
	targets := pipelineTargets(p)
	if len(req.Targets) > 0 {
		var picked []release.Target
		for _, name := range req.Targets {
			i := slices.IndexFunc(targets, func(t release.Target) bool { return t.Name == name })
			if i < 0 {
				return nil, release.Errorf(release.ErrInvalid, "restore %s: pipeline has no target %q", p.Name, name)
			}
			picked = append(picked, targets[i])
		}
		targets = picked
	}
	var plan []restoreStep
	for _, t := range targets {
		ts, err := s.Store.GetTargetState(ctx, t.Name)
		if errors.Is(err, release.ErrNotFound) {
			if req.Version != "" && len(req.Targets) > 0 {
				return nil, release.Errorf(release.ErrInvalid, "restore %s: Shipwave never deployed it, so it knows no good version", t.Name)
			}
			continue // never deployed: it serves its initial version
		}
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", t.Name, err)
		}
		if !ts.Settled() {
			owner, err := s.owner(ctx, t.Name, "")
			if err != nil {
				return nil, err
			}
			if owner != "" {
				return nil, release.Errorf(release.ErrConflict, "restore %s: release %s is still in flight on it; roll that release back first", t.Name, owner)
			}
			if ts, err = s.Store.GetTargetState(ctx, t.Name); err != nil {
				return nil, fmt.Errorf("restore %s: %w", t.Name, err)
			}
		}
		version, want := ts.KnownGood, firstString(req.Versions[t.Name], req.Version)
		if want != "" {
			if !slices.Contains(ts.Good, want) && want != ts.KnownGood {
				return nil, release.Errorf(release.ErrInvalid, "restore %s: %s was never a known-good version of it (known-good: %s)", t.Name, want, strings.Join(ts.Good, ", "))
			}
			version = want
		}
		plan = append(plan, restoreStep{target: t, state: ts, version: version})
	}
	if len(plan) == 0 {
		return nil, release.Errorf(release.ErrInvalid, "restore %s: no target to restore (none was ever deployed)", p.Name)
	}
	return plan, nil
}

// restoreTo puts one target on step.version, verified serving, under the
// restore release's lock; the version becomes the target's known-good one.
func (s *Service) restoreTo(ctx context.Context, releaseID string, step restoreStep, reason string) (string, error) {
	name := step.target.Name
	l, err := s.Store.AcquireLock(ctx, name, releaseID, lease(0))
	if err != nil {
		return "", fmt.Errorf("restore %s: %w", name, err)
	}
	if err := s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventLockAcquired, Target: name, Message: fmt.Sprintf("lock on %s acquired (fence %d)", name, l.Fence)}); err != nil {
		return "", err
	}
	defer func() {
		if err := s.unlock(ctx, releaseID, "", "", name); err != nil {
			s.log().ErrorContext(ctx, "release restore lock", "releaseId", releaseID, "target", name, "error", err)
		}
	}()
	live := step.state.Stable
	if sh, err := s.shifter(step.target); err == nil {
		if cur, err := sh.Current(ctx, step.target); err == nil {
			live = cur.Stable
			if cur.Weight > 0 {
				live = cur.Candidate
			}
		}
	}
	ev := release.Event{ReleaseID: releaseID, Type: release.EventTargetPrepared, Target: name, Message: fmt.Sprintf("restoring %s to %s", name, step.version)}
	ev.Data = jsonData(map[string]any{"knownGood": step.version, "candidate": live})
	if err := s.record(ctx, ev); err != nil {
		return "", err
	}
	if err := s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventRollbackStarted, Target: name, Message: reason}); err != nil {
		return "", err
	}
	msg, err := s.restoreTraffic(ctx, step.target, step.version, live)
	if err != nil {
		msg = err.Error()
	}
	if msg != "" {
		return msg, s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventRestoreFailed, Target: name, Message: msg})
	}
	next := step.state.Settle(step.version, s.after(step.state.UpdatedAt))
	next.Target, next.ReleaseID, next.Previous, next.Stage, next.Wave = name, releaseID, step.state.KnownGood, "", ""
	if err := s.Store.SwapTargetState(ctx, step.state, next); errors.Is(err, release.ErrConflict) {
		msg := fmt.Sprintf("%s changed while it was restored to %s (another release or restore moved it): look at its traffic", name, step.version)
		return msg, s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventRestoreFailed, Target: name, Message: msg})
	} else if err != nil {
		return "", fmt.Errorf("record %s restored: %w", name, err)
	}
	ts := next
	ts.Candidate = live
	return "", s.recordRolledBack(ctx, releaseID, ts, reason)
}

func targetNames(plan []restoreStep) []string {
	var out []string
	for _, st := range plan {
		out = append(out, st.target.Name)
	}
	return out
}

// UndoRequest asks for a release to be taken back.
type UndoRequest struct {
	ReleaseID string
	Actor     string
	Reason    string
}

// Undo takes a release back. One still running is rolled back
// (RequestRollback: its own failure path) and returned; one that ended has
// every target it left on its version restored to the known-good version
// it replaced, by a break-glass Restore whose release is returned. It
// returns ErrConflict for an ended release that left nothing to undo.
func (s *Service) Undo(ctx context.Context, req UndoRequest) (release.Release, error) {
	r, err := s.Store.GetRelease(ctx, req.ReleaseID)
	if err != nil {
		return release.Release{}, fmt.Errorf("undo %s: %w", req.ReleaseID, err)
	}
	if !r.Status.Terminal() {
		return s.RequestRollback(ctx, RollbackRequest{ReleaseID: r.ID, Actor: req.Actor, Reason: req.Reason})
	}
	led, err := s.ledger(ctx, r.ID)
	if err != nil {
		return r, err
	}
	restore := RestoreRequest{Pipeline: r.Pipeline, Actor: req.Actor, Key: "undo:" + r.ID, Versions: map[string]string{},
		Reason: strings.TrimPrefix(req.Reason+" (undo of release "+r.ID+")", " ")}
	for _, t := range led.Touches {
		if t.Settled && t.KnownGood != "" {
			restore.Targets = append(restore.Targets, t.Target)
			restore.Versions[t.Target] = t.KnownGood
		}
	}
	if len(restore.Targets) == 0 {
		return r, release.Errorf(release.ErrConflict, "undo %s: it is %s and left no target on its version; nothing to undo", r.ID, r.Status)
	}
	return s.Restore(ctx, restore)
}
