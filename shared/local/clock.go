package local

import (
	"context"
	"time"

	"github.com/shipwave/shipwave/shared/analysis/fleetsamples"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
)

// scaledClock is real time running scale times faster from the moment it
// was made: waits, bakes, leases and timestamps of the engine and the store
// shrink by scale, while the fleet's traffic and the alarms' periods stay
// in real time.
type scaledClock struct {
	start time.Time
	scale float64
}

func newScaledClock(scale float64) *scaledClock {
	return &scaledClock{start: time.Now().UTC(), scale: scale}
}

// Now implements states.Clock.
func (c *scaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.scale))
}

// real converts a scaled time to the wall-clock time it happened at.
func (c *scaledClock) real(t time.Time) time.Time {
	return c.start.Add(time.Duration(float64(t.Sub(c.start)) / c.scale))
}

// NewTimer implements states.Clock.
func (c *scaledClock) NewTimer(at time.Time) states.Timer {
	d := time.Duration(float64(at.Sub(c.Now())) / c.scale)
	return wallTimer{time.NewTimer(max(0, d))}
}

// Park, Unpark and Spawn implement states.Clock; a scaled clock, like the
// real one, does not wait for activities.
func (c *scaledClock) Park()   {}
func (c *scaledClock) Unpark() {}
func (c *scaledClock) Spawn()  {}

type wallTimer struct{ t *time.Timer }

func (t wallTimer) C() <-chan time.Time { return t.t.C }
func (t wallTimer) Stop() bool          { return !t.t.Stop() }

// scaledRequests asks the fleet, which counts in wall-clock time, about
// requests since a scaled time.
type scaledRequests struct {
	fleet Fleet
	clock *scaledClock
}

// CandidateRequests implements control.Requests.
func (r scaledRequests) CandidateRequests(ctx context.Context, t release.Target, candidate string, since time.Time) (int64, error) {
	return r.fleet.CandidateRequests(ctx, t, candidate, r.clock.real(since))
}

// scaledMetrics asks the fleet, which records in wall-clock time, for the
// samples of a window in scaled time (canary analysis).
type scaledMetrics struct {
	metrics fleetsamples.Metrics
	clock   *scaledClock
}

// Metrics implements fleetsamples.Metrics.
func (m scaledMetrics) Metrics(service, version string, from, to time.Time) (fleet.Datapoint, error) {
	return m.metrics.Metrics(service, version, m.clock.real(from), m.clock.real(to))
}

// SyntheticMetrics implements fleetsamples.SyntheticMetrics when the fleet
// records synthetic requests (an ErrInvalid-kind error otherwise).
func (m scaledMetrics) SyntheticMetrics(service, version string, from, to time.Time) (fleet.Datapoint, error) {
	syn, ok := m.metrics.(fleetsamples.SyntheticMetrics)
	if !ok {
		return fleet.Datapoint{}, release.Errorf(release.ErrInvalid, "the fleet records no synthetic requests")
	}
	return syn.SyntheticMetrics(service, version, m.clock.real(from), m.clock.real(to))
}
