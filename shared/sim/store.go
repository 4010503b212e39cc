package sim

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// Store is what the simulation needs of a store: everything the handlers
// and the release launcher use, and the reads the checker makes.
// *store.Store and *memstore.Store are both one.
type Store interface {
	control.Store
	CreateRelease(ctx context.Context, r release.Release) (release.Release, bool, error)
	SetExecution(ctx context.Context, id, executionARN string) error
	PipelinesByRepository(ctx context.Context, repo string) ([]string, error)
	SaveSpec(ctx context.Context, sv release.SpecVersion) (release.SpecVersion, error)
	GetLock(ctx context.Context, target string) (release.Lock, error)
	ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error)
}

// errCrashed is what every call of a crashed control plane gets: the
// process is gone, so nothing it does reaches the store or the world.
var errCrashed = errors.New("sim: the control plane crashed")

// genStore is one control-plane generation's view of the store: it fails
// every call once its generation has crashed, and reports every appended
// event (which may be the crash point).
type genStore struct {
	s        Store
	dead     *atomic.Bool
	appended func() // after each stored event; may crash this generation
}

func (g *genStore) alive() error {
	if g.dead.Load() {
		return errCrashed
	}
	return nil
}

// after turns a result into errCrashed when the generation died during the
// call: its caller never saw the answer.
func after[T any](g *genStore, v T, err error) (T, error) {
	if g.dead.Load() {
		var zero T
		return zero, errCrashed
	}
	return v, err
}

func (g *genStore) GetRelease(ctx context.Context, id string) (release.Release, error) {
	if err := g.alive(); err != nil {
		return release.Release{}, err
	}
	v, err := g.s.GetRelease(ctx, id)
	return after(g, v, err)
}

func (g *genStore) GetSpec(ctx context.Context, p string, version int) (release.SpecVersion, error) {
	if err := g.alive(); err != nil {
		return release.SpecVersion{}, err
	}
	v, err := g.s.GetSpec(ctx, p, version)
	return after(g, v, err)
}

func (g *genStore) TransitionRelease(ctx context.Context, id string, to release.Status, reason string) (release.Release, error) {
	if err := g.alive(); err != nil {
		return release.Release{}, err
	}
	v, err := g.s.TransitionRelease(ctx, id, to, reason)
	return after(g, v, err)
}

func (g *genStore) ActiveReleases(ctx context.Context, p string) ([]release.Release, error) {
	if err := g.alive(); err != nil {
		return nil, err
	}
	v, err := g.s.ActiveReleases(ctx, p)
	return after(g, v, err)
}

func (g *genStore) AppendEvent(ctx context.Context, ev release.Event) (release.Event, error) {
	if err := g.alive(); err != nil {
		return release.Event{}, err
	}
	out, err := g.s.AppendEvent(ctx, ev)
	if err == nil && g.appended != nil {
		g.appended()
	}
	return after(g, out, err)
}

func (g *genStore) Events(ctx context.Context, id string, afterSeq int64, limit int) ([]release.Event, error) {
	if err := g.alive(); err != nil {
		return nil, err
	}
	v, err := g.s.Events(ctx, id, afterSeq, limit)
	return after(g, v, err)
}

func (g *genStore) AcquireLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error) {
	if err := g.alive(); err != nil {
		return release.Lock{}, err
	}
	v, err := g.s.AcquireLock(ctx, target, owner, lease)
	return after(g, v, err)
}

func (g *genStore) RenewLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error) {
	if err := g.alive(); err != nil {
		return release.Lock{}, err
	}
	v, err := g.s.RenewLock(ctx, target, owner, lease)
	return after(g, v, err)
}

func (g *genStore) ReleaseLock(ctx context.Context, target, owner string) error {
	if err := g.alive(); err != nil {
		return err
	}
	_, err := after(g, struct{}{}, g.s.ReleaseLock(ctx, target, owner))
	return err
}

func (g *genStore) PutTaskToken(ctx context.Context, tok release.TaskToken) error {
	if err := g.alive(); err != nil {
		return err
	}
	_, err := after(g, struct{}{}, g.s.PutTaskToken(ctx, tok))
	return err
}

func (g *genStore) TokensByRelease(ctx context.Context, id string) ([]release.TaskToken, error) {
	if err := g.alive(); err != nil {
		return nil, err
	}
	v, err := g.s.TokensByRelease(ctx, id)
	return after(g, v, err)
}

func (g *genStore) TokensByAlarm(ctx context.Context, alarm string) ([]release.TaskToken, error) {
	if err := g.alive(); err != nil {
		return nil, err
	}
	v, err := g.s.TokensByAlarm(ctx, alarm)
	return after(g, v, err)
}

func (g *genStore) DeleteTaskToken(ctx context.Context, token string) error {
	if err := g.alive(); err != nil {
		return err
	}
	_, err := after(g, struct{}{}, g.s.DeleteTaskToken(ctx, token))
	return err
}

func (g *genStore) GetTargetState(ctx context.Context, target string) (release.TargetState, error) {
	if err := g.alive(); err != nil {
		return release.TargetState{}, err
	}
	v, err := g.s.GetTargetState(ctx, target)
	return after(g, v, err)
}

func (g *genStore) SwapTargetState(ctx context.Context, prev, next release.TargetState) error {
	if err := g.alive(); err != nil {
		return err
	}
	_, err := after(g, struct{}{}, g.s.SwapTargetState(ctx, prev, next))
	return err
}

func (g *genStore) CreateRelease(ctx context.Context, r release.Release) (release.Release, bool, error) {
	if err := g.alive(); err != nil {
		return release.Release{}, false, err
	}
	rel, created, err := g.s.CreateRelease(ctx, r)
	if g.dead.Load() {
		return release.Release{}, false, errCrashed
	}
	return rel, created, err
}

func (g *genStore) SetExecution(ctx context.Context, id, arn string) error {
	if err := g.alive(); err != nil {
		return err
	}
	_, err := after(g, struct{}{}, g.s.SetExecution(ctx, id, arn))
	return err
}

func (g *genStore) PipelinesByRepository(ctx context.Context, repo string) ([]string, error) {
	if err := g.alive(); err != nil {
		return nil, err
	}
	v, err := g.s.PipelinesByRepository(ctx, repo)
	return after(g, v, err)
}
