package fleetsamples_test

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/analysis/analysistest"
	"github.com/shipwave/shipwave/shared/analysis/fleetsamples"
	"github.com/shipwave/shipwave/shared/fleet"
)

// recorded keeps requests per version and answers as the fleet does,
// through fleet.NewDatapoint, at the fleet's Resolution.
type recorded map[string][]analysistest.Request

func (r recorded) Metrics(_, version string, from, to time.Time) (fleet.Datapoint, error) {
	from, to = from.Truncate(fleet.Resolution), to.Truncate(fleet.Resolution)
	var n, e int64
	var lat []time.Duration
	for _, q := range r[version] {
		if q.At.Before(from) || !q.At.Before(to) {
			continue
		}
		n++
		if q.Failed {
			e++
		}
		lat = append(lat, q.Latency)
	}
	return fleet.NewDatapoint(from, to, n, e, lat...), nil
}

func TestContract(t *testing.T) {
	analysistest.Run(t, func(t *testing.T) analysistest.Harness {
		rec := recorded{}
		return analysistest.Harness{
			Source:   fleetsamples.New(rec, "svc"),
			Record:   func(v string, reqs []analysistest.Request) { rec[v] = append(rec[v], reqs...) },
			Canary:   "v2",
			Baseline: "v1",
			Period:   time.Second,
			Start:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		}
	})
}

// synthetic serves recorded requests as synthetic traffic.
type synthetic struct{ recorded }

func (s synthetic) SyntheticMetrics(service, version string, from, to time.Time) (fleet.Datapoint, error) {
	return s.Metrics(service, version, from, to)
}

func TestSyntheticCountsOnlyWhenAsked(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	real := recorded{
		"v2": {{At: at, Latency: 10 * time.Millisecond}},
		"v1": {{At: at, Latency: 10 * time.Millisecond}},
	}
	syn := synthetic{recorded{"v2": {{At: at, Latency: 90 * time.Millisecond, Failed: true}, {At: at, Latency: 90 * time.Millisecond}}, "v1": {{At: at}}}}
	q := analysis.Query{Metric: analysis.MetricErrors, Canary: "v2", Baseline: "v1", From: at, To: at.Add(time.Second)}
	src := fleetsamples.New(real, "svc")
	if c, b, err := src.Samples(t.Context(), q); err != nil || len(c) != 1 || len(b) != 1 {
		t.Errorf("real only: %v %v %v, want one value each", c, b, err)
	}
	c, b, err := src.WithSynthetic(syn).Samples(t.Context(), q)
	if err != nil || len(c) != 3 || c[1]+c[2] != 1 || len(b) != 1 {
		t.Errorf("with synthetic: canary %v baseline %v (%v), want 3 canary values (one failed) and the baseline's 1", c, b, err)
	}
}
