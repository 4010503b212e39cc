package sim

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// genWorld is one control-plane generation's handle on the world: the
// traffic shifter, alarm source, hook runner and request counter its
// handlers use. Once the generation has crashed every call fails, so a
// dead process never moves traffic.
type genWorld struct {
	w    *world
	dead *atomic.Bool
}

func (g *genWorld) alive() error {
	if g.dead.Load() {
		return errCrashed
	}
	return nil
}

// Prepare implements control.Shifter.
func (g *genWorld) Prepare(ctx context.Context, t release.Target, artifact string) (string, error) {
	if err := g.alive(); err != nil {
		return "", err
	}
	return g.w.Prepare(ctx, t, artifact)
}

// Current implements control.Shifter.
func (g *genWorld) Current(ctx context.Context, t release.Target) (traffic.Split, error) {
	if err := g.alive(); err != nil {
		return traffic.Split{}, err
	}
	return g.w.Current(ctx, t)
}

// Shift implements control.Shifter.
func (g *genWorld) Shift(ctx context.Context, t release.Target, s traffic.Split) error {
	if err := g.alive(); err != nil {
		return err
	}
	return g.w.Shift(ctx, t, s)
}

// Verify implements control.Shifter.
func (g *genWorld) Verify(ctx context.Context, t release.Target, s traffic.Split) error {
	if err := g.alive(); err != nil {
		return err
	}
	return g.w.Verify(ctx, t, s)
}

// Serving implements control.Shifter's health check: nil when version's
// instances on t are alive and pass their probe.
func (g *genWorld) Serving(ctx context.Context, t release.Target, version string) error {
	if err := g.alive(); err != nil {
		return err
	}
	return g.w.Serving(ctx, t, version)
}

// States implements control.Alarms.
func (g *genWorld) States(ctx context.Context, names []string) (map[string]alarms.State, error) {
	if err := g.alive(); err != nil {
		return nil, err
	}
	return g.w.States(ctx, names)
}

// Run implements control.Hooks.
func (g *genWorld) Run(ctx context.Context, h release.Hook, inv hooks.Invocation) error {
	if err := g.alive(); err != nil {
		return err
	}
	return g.w.Run(ctx, h, inv)
}

// CandidateRequests implements control.Requests.
func (g *genWorld) CandidateRequests(ctx context.Context, t release.Target, candidate string, since time.Time) (int64, error) {
	if err := g.alive(); err != nil {
		return 0, err
	}
	return g.w.CandidateRequests(ctx, t, candidate, since)
}
