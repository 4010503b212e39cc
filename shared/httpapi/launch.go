package httpapi

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/triggers"
)

// Launch is the Pusher and Retrier of a place whose releases run on the
// release state machine (the AWS api function): a push is a manual trigger
// started through triggers.Launcher, as every trigger is, so the same key
// twice creates one release and one execution. The caller that IAM (or the
// token) verified is the trigger's actor. Faults are refused: they are the
// local fleet's test versions.
type Launch struct {
	// Specs reads a pipeline's latest spec.
	Specs interface {
		GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
	}
	// Releases reads the release a retry repeats.
	Releases interface {
		GetRelease(ctx context.Context, id string) (release.Release, error)
	}
	Launcher *triggers.Launcher
	// Source is the trigger's source ("api").
	Source string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

var (
	_ Pusher  = (*Launch)(nil)
	_ Retrier = (*Launch)(nil)
)

// Push creates the release of req.Version on pipeline and starts its
// execution. Errors: ErrInvalid for a bad version or a fault; ErrNotFound for a pipeline
// without a spec.
func (l *Launch) Push(ctx context.Context, pipeline string, req PushRequest) (PushResponse, error) {
	if err := CheckVersion(req.Version); err != nil {
		return PushResponse{}, err
	}
	if req.Fault != "" || req.FaultStage != "" {
		return PushResponse{}, release.Errorf(release.ErrInvalid, "push: fault and faultStage are for the local stack's fleet; this place deploys real versions")
	}
	sv, err := l.Specs.GetSpec(ctx, pipeline, 0)
	if err != nil {
		return PushResponse{}, fmt.Errorf("push to %s: %w", pipeline, err)
	}
	now := l.now()
	key := req.Key
	if key == "" {
		key = fmt.Sprintf("%s:%s:%d", req.Actor, req.Version, now.UnixNano())
	}
	out, err := l.Launcher.Start(ctx, triggers.Request{
		Pipeline: pipeline, SpecVersion: sv.Version, Version: req.Version,
		Trigger: release.Trigger{Kind: release.TriggerManual, Key: "manual:" + key, Source: l.Source, Actor: req.Actor, Time: now},
		Message: fmt.Sprintf("pushed %s by %s through the API", req.Version, req.Actor),
	})
	if err != nil {
		return PushResponse{}, fmt.Errorf("push to %s: %w", pipeline, err)
	}
	rel := out.Release
	return PushResponse{ReleaseID: rel.ID, Artifact: rel.Version, Execution: rel.Execution, Created: out.Created(), Reason: out.Reason}, nil
}

// Retry starts a new release of release id's version on its pipeline.
// Errors: ErrNotFound for an unknown release, ErrConflict for one still
// running or a break-glass restore (see Retryable).
func (l *Launch) Retry(ctx context.Context, id, actor string) (PushResponse, error) {
	rel, err := l.Releases.GetRelease(ctx, id)
	if err != nil {
		return PushResponse{}, fmt.Errorf("retry %s: %w", id, err)
	}
	if err := Retryable(rel); err != nil {
		return PushResponse{}, err
	}
	return l.Push(ctx, rel.Pipeline, PushRequest{Version: rel.Version, Actor: actor,
		Key: fmt.Sprintf("retry:%s:%d", id, l.now().UnixNano())})
}

func (l *Launch) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// CheckVersion refuses a version a push cannot name: empty, or with '+',
// '/' or white space (ErrInvalid).
func CheckVersion(v string) error {
	if v == "" || len(v) > 256 || strings.ContainsAny(v, "+ \t\r\n/") {
		return release.Errorf(release.ErrInvalid, "push: version %q must be non-empty, at most 256 bytes, without '+', '/' or spaces", clip(v))
	}
	return nil
}

// Retryable says whether a new release may repeat rel: it must have ended
// and must not be a break-glass restore (ErrConflict otherwise).
func Retryable(rel release.Release) error {
	if !rel.Status.Terminal() {
		return release.Errorf(release.ErrConflict, "retry %s: it is still %s; roll it back or wait until it ends", rel.ID, rel.Status)
	}
	if rel.Trigger.Kind == release.TriggerRestore {
		return release.Errorf(release.ErrConflict, "retry %s: it is a break-glass restore; restore again instead", rel.ID)
	}
	return nil
}

// ServiceUndo is an Undoer over control.Service.Undo: a running release is
// rolled back through its own failure path (the call returns once that is
// requested), an ended one has what it settled restored.
type ServiceUndo struct {
	Service interface {
		Undo(ctx context.Context, req control.UndoRequest) (release.Release, error)
	}
}

var _ Undoer = ServiceUndo{}

// Undo takes the release back.
func (u ServiceUndo) Undo(ctx context.Context, id, actor, reason string) (release.Release, error) {
	return u.Service.Undo(ctx, control.UndoRequest{ReleaseID: id, Actor: actor, Reason: reason})
}
