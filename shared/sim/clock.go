package sim

import (
	"context"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

// The simulation runs on a states.VirtualClock — time moves only when every
// activity is parked, jumping to the earliest deadline — whose quiet hook
// (runner.quiet) samples the invariants at that stable instant, or holds
// time while something the engine does not count as an activity is still
// due to run (an ended execution whose status change was not yet
// delivered).

// sleep blocks an activity until the virtual time at, or until ctx ends
// (then it returns false). The caller is an activity before and after.
func sleep(ctx context.Context, c *states.VirtualClock, at time.Time) bool {
	t := c.NewTimer(at)
	c.Park()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		if !t.Stop() {
			c.Unpark()
		}
		return false
	}
}
