package fleetsamples_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/analysis/fleetsamples"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/fleet/fleettest"
	"github.com/shipwave/shipwave/shared/traffic"
)

func TestMain(m *testing.M) { fleettest.Main(m) }

// TestRealFleet reads samples of a canary failing every request and a
// healthy baseline, served by real demo-service processes behind the
// fleet's proxy.
func TestRealFleet(t *testing.T) {
	ctx := context.Background()
	f := fleettest.New(t, fleet.Config{})
	svc, err := f.AddService(ctx, "orders", 1, "v1")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := f.Launch(ctx, "orders", "v2+error-rate=1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: bad, Weight: 25}); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	for range 40 {
		resp, err := client.Get(svc.Endpoint() + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	to := time.Now().Add(time.Second)
	src := fleetsamples.New(f, "orders")
	q := analysis.Query{Metric: analysis.MetricErrors, Canary: bad, Baseline: "v1", From: from, To: to}
	c, b, err := src.Samples(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(v []float64) (s float64) {
		for _, x := range v {
			s += x
		}
		return s
	}
	if len(c) != 10 || sum(c) != 10 || len(b) != 30 || sum(b) != 0 {
		t.Errorf("errors: canary %v, baseline %v; want 10 failures of 10 and 0 of 30", c, b)
	}
	q.Metric = analysis.MetricLatency
	c, b, err = src.Samples(ctx, q)
	if err != nil || len(c) != 10 || len(b) != 30 {
		t.Errorf("latency: %d canary and %d baseline values (%v), want 10 and 30", len(c), len(b), err)
	}
}

// TestRealFleetSlowdown is the local demo's case: a canary 40% slower than
// a 20 ms service, far below any 400 ms p99 alarm, served by real
// processes at 10% weight, fails analysis on latency.
func TestRealFleetSlowdown(t *testing.T) {
	ctx := context.Background()
	f := fleettest.New(t, fleet.Config{BaseLatency: 20 * time.Millisecond})
	svc, err := f.AddService(ctx, "orders", 2, "v1")
	if err != nil {
		t.Fatal(err)
	}
	slow, err := f.Launch(ctx, "orders", "v2+latency=+40%")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: slow, Weight: 10}); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Second)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	work := make(chan struct{})
	done := make(chan error)
	for range 16 {
		go func() {
			var err error
			for range work {
				resp, e := client.Get(svc.Endpoint() + "/")
				if e != nil {
					err = e
					continue
				}
				resp.Body.Close()
			}
			done <- err
		}()
	}
	for range 800 {
		work <- struct{}{}
	}
	close(work)
	for range 16 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	to := time.Now().Add(time.Second)
	cfg := analysis.Config{Metrics: []analysis.Metric{{Name: analysis.MetricLatency, Effect: 0.1}, {Name: analysis.MetricErrors, Effect: 0.5}}}
	j, err := analysis.Analyze(ctx, fleetsamples.New(f, "orders"), analysis.Request{Config: cfg, Canary: slow, Baseline: "v1", From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	lat := j.Metrics[0]
	if j.Verdict != analysis.Fail || lat.Class != analysis.ClassHigh || lat.CanaryCount != 80 {
		t.Errorf("judgment %s (%s), latency %s with %d canary values (medians %.1f vs %.1f ms); want fail on latency with 80", j.Verdict, j.Reason, lat.Class, lat.CanaryCount, lat.CanaryMedian, lat.BaselineMedian)
	}
}
