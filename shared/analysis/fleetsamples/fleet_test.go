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
