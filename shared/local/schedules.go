package local

import (
	"context"
	"time"

	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/triggers"
)

// startSchedules runs the pipelines' schedule triggers on the stack, as
// EventBridge Scheduler and functions/schedule do on AWS: scheduler.Local
// computes the next firing of every pipeline's schedules (specs are re-read
// before each wait) and scheduler.Runner releases the latest good version
// through the same launcher as chat (so the spec's triggers are checked and
// a firing releases once). Firing times follow the engine's clock; with
// --virtual-time, waits between firings take real time.
func (s *Stack) startSchedules(clock states.Clock) {
	runner := &scheduler.Runner{
		Specs: s.store, Releases: s.store,
		Launcher: &triggers.Launcher{Specs: s.store, Releases: s.store, Starter: starter{s}, Now: clock.Now, Logger: s.log},
		Now:      clock.Now, Logger: s.log,
	}
	l := &scheduler.Local{
		Pipelines: s.store,
		Fire:      runner.Fire,
		Now:       clock.Now,
		Wait: func(ctx context.Context, until time.Time) error {
			d := until.Sub(clock.Now())
			if s.scaled != nil {
				d = time.Duration(float64(d) / s.scaled.scale)
			}
			t := time.NewTimer(max(0, d))
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		},
		Logger: s.log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSchedules, s.schedulesDone = cancel, make(chan struct{})
	go func() {
		defer close(s.schedulesDone)
		_ = l.Run(ctx)
	}()
}
