package local

import (
	"context"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// syntheticFleet is what synthetic traffic needs of the fleet
// (*fleet.Fleet has it).
type syntheticFleet interface {
	StartSynthetic(service string, rps int, until time.Time) error
	StopSynthetic(service string) (int64, error)
}

// syntheticTraffic implements control.Synthetic with the fleet's load
// generator: synthetic requests to a service's candidate and stable
// versions, alternately, recorded apart from real traffic. Generators are
// goroutines of the stack's process, so a stopped or restarted stack leaves
// none behind; each also stops by itself at its deadline.
type syntheticTraffic struct {
	fleet syntheticFleet
	// now is the control plane's clock; wall converts one of its times to
	// the wall-clock time the generator runs to.
	now  func() time.Time
	wall func(time.Time) time.Time

	mu      sync.Mutex
	running map[string]bool // service → a generator was started
}

var _ control.Synthetic = (*syntheticTraffic)(nil)

func newSyntheticTraffic(f syntheticFleet, now func() time.Time, scaled *scaledClock) *syntheticTraffic {
	s := &syntheticTraffic{fleet: f, now: now, running: map[string]bool{}}
	s.wall = func(t time.Time) time.Time {
		// The virtual clock runs a bake in no wall time, and its check
		// stops the generator at once; bound it by the bake's length.
		return time.Now().Add(max(0, t.Sub(now())))
	}
	if scaled != nil {
		s.wall = scaled.real
	}
	return s
}

func serviceOf(t release.Target) string {
	if t.Service != "" {
		return t.Service
	}
	return t.Name
}

// StartSynthetic implements control.Synthetic.
func (s *syntheticTraffic) StartSynthetic(_ context.Context, t release.Target, rps int, until time.Time) error {
	if t.Type != release.TargetLocal {
		return release.Errorf(release.ErrInvalid, "synthetic traffic: target %s has type %s; the local stack sends it to local targets only", t.Name, t.Type)
	}
	name := serviceOf(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fleet.StartSynthetic(name, rps, s.wall(until)); err != nil {
		return err
	}
	s.running[name] = true
	return nil
}

// StopSynthetic implements control.Synthetic.
func (s *syntheticTraffic) StopSynthetic(_ context.Context, t release.Target) (int64, bool, error) {
	if t.Type != release.TargetLocal {
		return 0, false, nil
	}
	name := serviceOf(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running[name] {
		return 0, false, nil
	}
	sent, err := s.fleet.StopSynthetic(name)
	if err != nil {
		return 0, false, err
	}
	delete(s.running, name)
	return sent, true, nil
}
