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
	synthetic SyntheticMetrics // nil: real traffic only
	service   string
}

var _ analysis.Source = (*Source)(nil)

// New returns the source of service's samples in m: real traffic only.
func New(m Metrics, service string) *Source { return &Source{metrics: m, service: service} }

// WithSynthetic returns a copy of s whose canary samples also hold the
// synthetic requests in m, for an analysis whose spec sets
// synthetic.countInJudgment. The baseline gets no synthetic traffic.
func (s *Source) WithSynthetic(m SyntheticMetrics) *Source {
	c := *s
	c.synthetic = m
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
	c, err := s.metrics.Metrics(s.service, q.Canary, q.From, q.To)
	if err != nil {
		return nil, nil, fmt.Errorf("samples of %s %s: %w", s.service, q.Canary, err)
	}
	b, err := s.metrics.Metrics(s.service, q.Baseline, q.From, q.To)
	if err != nil {
		return nil, nil, fmt.Errorf("samples of %s %s: %w", s.service, q.Baseline, err)
	}
	canary := values(c)
	if s.synthetic != nil {
		syn, err := s.synthetic.SyntheticMetrics(s.service, q.Canary, q.From, q.To)
		if err != nil {
			return nil, nil, fmt.Errorf("synthetic samples of %s %s: %w", s.service, q.Canary, err)
		}
		canary = append(canary, values(syn)...)
	}
	return canary, values(b), nil
}
