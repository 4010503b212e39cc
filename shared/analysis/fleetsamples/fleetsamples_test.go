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
	rec := synthetic{recorded{
		"v2": {{At: at, Latency: 10 * time.Millisecond}},
		"v1": {{At: at, Latency: 10 * time.Millisecond}},
	}}
	syn := recorded{"v2": {{At: at, Latency: 90 * time.Millisecond, Failed: true}, {At: at, Latency: 90 * time.Millisecond}}, "v1": {{At: at}}}
	both := struct {
		recorded
		synthetic
	}{rec.recorded, synthetic{syn}}
	q := analysis.Query{Metric: analysis.MetricErrors, Canary: "v2", Baseline: "v1", From: at, To: at.Add(time.Second)}
	src := fleetsamples.New(both, "svc")
	tests := []struct {
		name         string
		src          analysis.Source
		canary, base int
		canaryErrors float64
	}{
		{"real only", src, 1, 1, 0},
		{"with synthetic requests", src.WithSyntheticRequests(), 3, 2, 1},
		{"synthetic only", src.SyntheticOnly(), 2, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b, err := tt.src.Samples(t.Context(), q)
			var errs float64
			for _, v := range c {
				errs += v
			}
			if err != nil || len(c) != tt.canary || len(b) != tt.base || errs != tt.canaryErrors {
				t.Errorf("canary %v baseline %v (%v), want %d canary values (%v failed) and %d baseline", c, b, err, tt.canary, tt.canaryErrors, tt.base)
			}
		})
	}
	// A source without synthetic metrics refuses the synthetic modes.
	if _, _, err := fleetsamples.New(rec.recorded, "svc").SyntheticOnly().Samples(t.Context(), q); err == nil {
		t.Error("SyntheticOnly without synthetic metrics: no error")
	}
}
