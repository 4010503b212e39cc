package fleet

import (
	"net/http"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// SyntheticHeader marks a synthetic request: the proxy sends it to the
// candidate version (the stable one when none is routed) without counting
// it in the weighted split, and records it apart from real traffic, so the
// alarms, request counts and Metrics see real users' traffic only.
const SyntheticHeader = "X-Shipwave-Synthetic"

// MaxSyntheticRPS caps a synthetic generator's rate.
const MaxSyntheticRPS = 1000

// StartSynthetic starts a background generator sending rps synthetic
// GET / requests per second to the service's candidate, replacing any
// running one. It returns ErrInvalid for rps outside 1–MaxSyntheticRPS.
func (s *Service) StartSynthetic(rps int) error {
	if rps < 1 || rps > MaxSyntheticRPS {
		return release.Errorf(release.ErrInvalid, "synthetic traffic for %s: rps %d is outside 1–%d", s.name, rps, MaxSyntheticRPS)
	}
	s.trafficMu.Lock()
	defer s.trafficMu.Unlock()
	s.stopSyntheticLocked()
	s.synth = startGenerator(s.Endpoint()+"/", rps, http.Header{SyntheticHeader: {"1"}})
	return nil
}

// StopSynthetic stops the synthetic generator, if any, and waits for its
// requests to end.
func (s *Service) StopSynthetic() {
	s.trafficMu.Lock()
	defer s.trafficMu.Unlock()
	s.stopSyntheticLocked()
}

func (s *Service) stopSyntheticLocked() {
	g := s.synth
	s.synth = nil
	if g != nil {
		g.cancel()
		g.wg.Wait()
	}
}

// SyntheticMetrics returns what the proxy recorded of synthetic requests to
// version in [from, to).
func (s *Service) SyntheticMetrics(version string, from, to time.Time) Datapoint {
	return s.synthetic.datapoint(version, from, to)
}

// StartSynthetic starts service's synthetic generator (see
// Service.StartSynthetic). It returns ErrNotFound for an unknown service.
func (f *Fleet) StartSynthetic(service string, rps int) error {
	s, err := f.Service(service)
	if err != nil {
		return err
	}
	return s.StartSynthetic(rps)
}

// StopSynthetic stops service's synthetic generator, if any. It returns
// ErrNotFound for an unknown service.
func (f *Fleet) StopSynthetic(service string) error {
	s, err := f.Service(service)
	if err != nil {
		return err
	}
	s.StopSynthetic()
	return nil
}

// SyntheticMetrics returns what service's proxy recorded of synthetic
// requests to version in [from, to). It returns ErrNotFound for an unknown
// service.
func (f *Fleet) SyntheticMetrics(service, version string, from, to time.Time) (Datapoint, error) {
	s, err := f.Service(service)
	if err != nil {
		return Datapoint{}, err
	}
	return s.SyntheticMetrics(version, from, to), nil
}
