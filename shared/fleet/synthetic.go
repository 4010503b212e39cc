package fleet

import (
	"net/http"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// SyntheticHeader marks a synthetic request: the proxy sends it to the
// candidate version (the stable one when none is routed), or to the stable
// version when the header's value is SyntheticBaseline, without counting it
// in the weighted split, and records it apart from real traffic, so the
// alarms, request counts and Metrics see real users' traffic only.
const SyntheticHeader = "X-Shipwave-Synthetic"

// SyntheticBaseline is the SyntheticHeader value that sends a synthetic
// request to the stable version (the baseline); SyntheticCanary (or any
// other value) sends it to the candidate.
const (
	SyntheticBaseline = "baseline"
	SyntheticCanary   = "canary"
)

// MaxSyntheticRPS caps a synthetic generator's rate.
const MaxSyntheticRPS = 1000

// StartSynthetic starts a background generator sending rps synthetic
// GET / requests per second, alternately to the service's candidate and to
// its stable version (so synthetic canary and baseline samples are alike
// and can be judged against each other), replacing any running one. A
// non-zero until stops the generator then by itself. It returns ErrInvalid
// for rps outside 1–MaxSyntheticRPS.
func (s *Service) StartSynthetic(rps int, until time.Time) error {
	if rps < 1 || rps > MaxSyntheticRPS {
		return release.Errorf(release.ErrInvalid, "synthetic traffic for %s: rps %d is outside 1–%d", s.name, rps, MaxSyntheticRPS)
	}
	s.trafficMu.Lock()
	defer s.trafficMu.Unlock()
	s.stopSyntheticLocked()
	canary, baseline := http.Header{SyntheticHeader: {SyntheticCanary}}, http.Header{SyntheticHeader: {SyntheticBaseline}}
	s.synth = startGenerator(s.Endpoint()+"/", rps, func(n int64) http.Header {
		if n%2 == 1 {
			return baseline
		}
		return canary
	}, until)
	return nil
}

// StopSynthetic stops the synthetic generator, if any, waits for its
// requests to end and returns how many it sent (0 without a generator).
func (s *Service) StopSynthetic() int64 {
	s.trafficMu.Lock()
	defer s.trafficMu.Unlock()
	return s.stopSyntheticLocked()
}

func (s *Service) stopSyntheticLocked() int64 {
	g := s.synth
	s.synth = nil
	if g == nil {
		return 0
	}
	g.cancel()
	g.wg.Wait()
	return g.sent.Load()
}

// SyntheticMetrics returns what the proxy recorded of synthetic requests to
// version in [from, to).
func (s *Service) SyntheticMetrics(version string, from, to time.Time) Datapoint {
	return s.synthetic.datapoint(version, from, to)
}

// StartSynthetic starts service's synthetic generator (see
// Service.StartSynthetic). It returns ErrNotFound for an unknown service.
func (f *Fleet) StartSynthetic(service string, rps int, until time.Time) error {
	s, err := f.Service(service)
	if err != nil {
		return err
	}
	return s.StartSynthetic(rps, until)
}

// StopSynthetic stops service's synthetic generator, if any, and returns
// how many requests it sent. It returns ErrNotFound for an unknown service.
func (f *Fleet) StopSynthetic(service string) (int64, error) {
	s, err := f.Service(service)
	if err != nil {
		return 0, err
	}
	return s.StopSynthetic(), nil
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
