// Package fleetsamples is the analysis.Source of local mode: per-request
// values of a service's canary and baseline versions as the local fleet's
// proxy recorded them (shared/fleet).
package fleetsamples

import (
	"context"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/release"
)

// Metrics reads what a service's proxy recorded (*fleet.Fleet is one).
type Metrics interface {
	// Metrics returns service's datapoint for version in [from, to); it
	// returns an ErrNotFound-kind error for an unknown service.
	Metrics(service, version string, from, to time.Time) (fleet.Datapoint, error)
}

// SyntheticMetrics reads the synthetic requests a service's proxy recorded
// apart from real traffic (*fleet.Fleet is one).
type SyntheticMetrics interface {
	// SyntheticMetrics returns service's synthetic datapoint for version in
	// [from, to); it returns an ErrNotFound-kind error for an unknown
	// service.
	SyntheticMetrics(service, version string, from, to time.Time) (fleet.Datapoint, error)
}

// Source serves one service's per-request samples. Latency values are the
// recorded sample (every request up to 512 per version per 100 ms, a
// uniform sample beyond); errors are exact: one value per completed
// request, 1 for a 5xx. The window is rounded down to fleet.Resolution.
type Source struct {
	metrics   Metrics
	synthetic SyntheticMetrics // nil: none recorded
	mode      mode
	service   string
}

// mode is which requests a Source's samples hold.
type mode int

const (
	realOnly      mode = iota // real users' traffic
	mixed                     // real and synthetic, on both sides
	syntheticOnly             // synthetic requests alone
)

var _ analysis.Source = (*Source)(nil)

// New returns the source of service's samples in m: real traffic only. When
// m also records synthetic requests (SyntheticMetrics, as *fleet.Fleet
// does), WithSyntheticRequests and SyntheticOnly can read them.
func New(m Metrics, service string) *Source {
	syn, _ := m.(SyntheticMetrics)
	return &Source{metrics: m, synthetic: syn, service: service}
}

// WithSyntheticRequests returns the source whose canary and baseline
// samples hold both real and synthetic requests (the fleet sends synthetic
// requests to both alike), for an analysis whose spec sets
// synthetic.countInJudgment.
func (s *Source) WithSyntheticRequests() analysis.Source {
	c := *s
	c.mode = mixed
	return &c
}

// SyntheticOnly returns the source of the synthetic requests alone, canary
// against baseline, judged apart from real users' traffic.
func (s *Source) SyntheticOnly() analysis.Source {
	c := *s
	c.mode = syntheticOnly
	return &c
}

// Samples implements analysis.Source, per request.
func (s *Source) Samples(_ context.Context, q analysis.Query) ([]float64, []float64, error) {
	bad := func(format string, args ...any) ([]float64, []float64, error) {
		return nil, nil, release.Errorf(release.ErrInvalid, "samples of %s: %s", s.service, fmt.Sprintf(format, args...))
	}
	switch {
	case q.Canary == "" || q.Baseline == "":
		return bad("canary and baseline versions are required")
	case !q.From.Before(q.To):
		return bad("window [%s, %s) is empty", q.From.Format(time.RFC3339Nano), q.To.Format(time.RFC3339Nano))
	}
	var values func(fleet.Datapoint) []float64
	switch q.Metric {
	case analysis.MetricLatency:
		values = func(d fleet.Datapoint) []float64 {
			l := d.Latencies()
			out := make([]float64, len(l))
			for i, v := range l {
				out[i] = float64(v) / float64(time.Millisecond)
			}
			return out
		}
	case analysis.MetricErrors:
		values = func(d fleet.Datapoint) []float64 {
			out := make([]float64, d.Requests)
			for i := range d.Errors {
				out[i] = 1
			}
			return out
		}
	case analysis.MetricSlowRequests:
		if q.SlowerThan <= 0 {
			return bad("slowRequests needs a positive slowerThan")
		}
		values = func(d fleet.Datapoint) []float64 {
			l := d.Latencies()
			out := make([]float64, len(l))
			for i, v := range l {
				if v > q.SlowerThan {
					out[i] = 1
				}
			}
			return out
		}
	default:
		return bad("metric %q is not %s, %s or %s", q.Metric, analysis.MetricLatency, analysis.MetricErrors, analysis.MetricSlowRequests)
	}
	if s.mode != realOnly && s.synthetic == nil {
		return bad("no synthetic requests are recorded")
	}
	side := func(version string) ([]float64, error) {
		var out []float64
		if s.mode != syntheticOnly {
			d, err := s.metrics.Metrics(s.service, version, q.From, q.To)
			if err != nil {
				return nil, fmt.Errorf("samples of %s %s: %w", s.service, version, err)
			}
			out = values(d)
		}
		if s.mode != realOnly {
			d, err := s.synthetic.SyntheticMetrics(s.service, version, q.From, q.To)
			if err != nil {
				return nil, fmt.Errorf("synthetic samples of %s %s: %w", s.service, version, err)
			}
			out = append(out, values(d)...)
		}
		return out, nil
	}
	canary, err := side(q.Canary)
	if err != nil {
		return nil, nil, err
	}
	baseline, err := side(q.Baseline)
	if err != nil {
		return nil, nil, err
	}
	return canary, baseline, nil
}
