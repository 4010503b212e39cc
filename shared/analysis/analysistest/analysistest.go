// Package analysistest holds the contract every analysis.Source must meet,
// run by each source's tests against its real backing store (the fleet's
// recorded metrics, CloudWatch through awsfake).
package analysistest

import (
	"errors"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/release"
)

// Request is one request a version served.
type Request struct {
	At      time.Time
	Latency time.Duration
	Failed  bool
}

// Harness is one source under test with a way to load data behind it.
type Harness struct {
	Source analysis.Source
	// Record stores requests served by version (the Canary or Baseline
	// identifier) where Source reads them.
	Record func(version string, reqs []Request)
	// Canary and Baseline are the identifiers to query.
	Canary, Baseline string
	// PerPeriod says the source returns one value per Period (CloudWatch)
	// rather than one per request.
	PerPeriod bool
	Period    time.Duration
	// Start is a Period-aligned time the source can be asked about.
	Start time.Time
}

// traffic returns periods*perPeriod requests from start, a fixed pattern of
// latencies and failures: request i of a period takes base+i ms and fails
// when i < fails.
func traffic(start time.Time, period time.Duration, periods, perPeriod, fails int, base float64) []Request {
	var out []Request
	for p := range periods {
		for i := range perPeriod {
			at := start.Add(time.Duration(p)*period + time.Duration(i)*period/time.Duration(perPeriod+1))
			out = append(out, Request{At: at, Latency: time.Duration((base + float64(i)) * float64(time.Millisecond)), Failed: i < fails})
		}
	}
	return out
}

// Run runs the contract on sources built by newHarness (a fresh one per
// case).
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("latency and errors per version", func(t *testing.T) {
		h := newHarness(t)
		const periods = 4
		h.Record(h.Canary, traffic(h.Start, h.Period, periods, 5, 1, 100))
		h.Record(h.Baseline, traffic(h.Start, h.Period, periods, 10, 0, 50))
		// Traffic outside the window is not counted.
		h.Record(h.Canary, traffic(h.Start.Add(-2*h.Period), h.Period, 1, 7, 7, 900))
		h.Record(h.Canary, traffic(h.Start.Add(periods*h.Period), h.Period, 1, 7, 7, 900))
		q := analysis.Query{Canary: h.Canary, Baseline: h.Baseline, From: h.Start, To: h.Start.Add(periods * h.Period)}
		q.Metric = analysis.MetricLatency
		c, b, err := h.Source.Samples(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		wantN := func(perPeriod int) int {
			if h.PerPeriod {
				return periods
			}
			return periods * perPeriod
		}
		check := func(what string, got []float64, n int, mean float64) {
			t.Helper()
			if len(got) != n {
				t.Errorf("%s: %d values %v, want %d", what, len(got), got, n)
				return
			}
			var sum float64
			for _, v := range got {
				sum += v
			}
			if m := sum / float64(len(got)); math.Abs(m-mean) > 1e-6 {
				t.Errorf("%s: mean %v of %v, want %v", what, m, got, mean)
			}
		}
		check("canary latency (ms)", c, wantN(5), 102)     // 100..104
		check("baseline latency (ms)", b, wantN(10), 54.5) // 50..59
		if !h.PerPeriod {
			s := append([]float64(nil), c...)
			sort.Float64s(s)
			if s[0] != 100 || s[len(s)-1] != 104 {
				t.Errorf("canary latencies %v, want 100..104 ms", s)
			}
		}
		q.Metric = analysis.MetricErrors
		c, b, err = h.Source.Samples(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		check("canary errors", c, wantN(5), 0.2)
		check("baseline errors", b, wantN(10), 0)
		for _, v := range append(c, b...) {
			if v < 0 || v > 1 {
				t.Errorf("error value %v outside 0–1", v)
			}
		}
	})
	t.Run("slow requests", func(t *testing.T) {
		h := newHarness(t)
		h.Record(h.Canary, traffic(h.Start, h.Period, 1, 5, 0, 100)) // 100..104 ms
		h.Record(h.Baseline, traffic(h.Start, h.Period, 1, 5, 0, 10))
		q := analysis.Query{Metric: analysis.MetricSlowRequests, SlowerThan: 102 * time.Millisecond, Canary: h.Canary, Baseline: h.Baseline, From: h.Start, To: h.Start.Add(h.Period)}
		c, b, err := h.Source.Samples(t.Context(), q)
		if h.PerPeriod {
			if !errors.Is(err, release.ErrInvalid) {
				t.Errorf("per-period source: slowRequests err = %v, want ErrInvalid", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var slow float64
		for _, v := range c {
			slow += v
		}
		if len(c) != 5 || slow != 2 || len(b) != 5 {
			t.Errorf("slow canary %v (baseline %v), want 2 of 5 over 102ms", c, b)
		}
	})
	t.Run("empty window", func(t *testing.T) {
		h := newHarness(t)
		c, b, err := h.Source.Samples(t.Context(), analysis.Query{Metric: analysis.MetricLatency, Canary: h.Canary, Baseline: h.Baseline, From: h.Start, To: h.Start.Add(h.Period)})
		if err != nil || len(c) != 0 || len(b) != 0 {
			t.Errorf("no data: got %v, %v, %v; want no values and no error", c, b, err)
		}
	})
	t.Run("bad queries", func(t *testing.T) {
		h := newHarness(t)
		for name, q := range map[string]analysis.Query{
			"unknown metric":  {Metric: "cpu", Canary: h.Canary, Baseline: h.Baseline, From: h.Start, To: h.Start.Add(h.Period)},
			"empty window":    {Metric: analysis.MetricLatency, Canary: h.Canary, Baseline: h.Baseline, From: h.Start, To: h.Start},
			"no canary":       {Metric: analysis.MetricLatency, Baseline: h.Baseline, From: h.Start, To: h.Start.Add(h.Period)},
			"slow, no cutoff": {Metric: analysis.MetricSlowRequests, Canary: h.Canary, Baseline: h.Baseline, From: h.Start, To: h.Start.Add(h.Period)},
		} {
			if _, _, err := h.Source.Samples(t.Context(), q); !errors.Is(err, release.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
	})
}
