package fleet_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// TestSyntheticTrafficKeptApart checks that synthetic requests go to the
// candidate, leave the weighted split of real traffic alone and are
// recorded apart from it.
func TestSyntheticTrafficKeptApart(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t)
	s := addService(t, f, "quiet", 1, "v1")
	v2, err := f.Launch(ctx, "quiet", "v2")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetRoute(ctx, "quiet", traffic.Split{Stable: "v1", Candidate: v2, Weight: 10}); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	send := func(synthetic bool) string {
		req, _ := http.NewRequest(http.MethodGet, s.Endpoint()+"/", nil)
		if synthetic {
			req.Header.Set(fleet.SyntheticHeader, fleet.SyntheticCanary)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get(fleet.VersionHeader)
	}
	for i := range 40 {
		if v := send(i%2 == 0); i%2 == 0 && v != v2 {
			t.Errorf("synthetic request %d served by %s, want the candidate %s", i, v, v2)
		}
	}
	to := time.Now().Add(time.Second)
	real1, _ := f.Metrics("quiet", "v1", from, to)
	real2, _ := f.Metrics("quiet", v2, from, to)
	syn2, err := f.SyntheticMetrics("quiet", v2, from, to)
	if err != nil {
		t.Fatal(err)
	}
	syn1 := s.SyntheticMetrics("v1", from, to)
	if real1.Requests != 18 || real2.Requests != 2 || syn2.Requests != 20 || syn1.Requests != 0 {
		t.Errorf("real v1 %d, real v2 %d, synthetic v2 %d, synthetic v1 %d; want 18, 2, 20, 0", real1.Requests, real2.Requests, syn2.Requests, syn1.Requests)
	}
	if n, err := f.CandidateRequests(ctx, release.Target{Type: release.TargetLocal, Service: "quiet"}, v2, from); err != nil || n != 2 {
		t.Errorf("CandidateRequests = %d, %v; want the 2 real requests", n, err)
	}
	// The baseline value sends a synthetic request to the stable version.
	req, _ := http.NewRequest(http.MethodGet, s.Endpoint()+"/", nil)
	req.Header.Set(fleet.SyntheticHeader, fleet.SyntheticBaseline)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := resp.Header.Get(fleet.VersionHeader); v != "v1" {
		t.Errorf("synthetic baseline request served by %s, want v1", v)
	}
	if syn1 := s.SyntheticMetrics("v1", from, time.Now().Add(time.Second)); syn1.Requests != 1 {
		t.Errorf("synthetic v1 = %d requests, want 1", syn1.Requests)
	}
}

func TestSyntheticGenerator(t *testing.T) {
	f := newFleet(t)
	s := addService(t, f, "gen", 1, "v1")
	from := time.Now().Truncate(fleet.Resolution)
	if err := f.StartSynthetic("gen", 200, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Wall-clock traffic: wait (bounded) until the proxy has recorded some.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for s.SyntheticMetrics("v1", from, time.Now().Add(fleet.Resolution)).Requests < 20 {
		select {
		case <-deadline:
			t.Fatal("fewer than 20 synthetic requests recorded within 10s")
		case <-tick.C:
		}
	}
	if sent := s.StopSynthetic(); sent < 20 {
		t.Errorf("StopSynthetic = %d sent, want at least the 20 recorded", sent)
	}
	if d := s.Metrics("v1", from, time.Now().Add(fleet.Resolution)); d.Requests != 0 {
		t.Errorf("synthetic generator recorded %d real requests, want 0", d.Requests)
	}
	for _, rps := range []int{0, fleet.MaxSyntheticRPS + 1} {
		if err := s.StartSynthetic(rps, time.Time{}); !errors.Is(err, release.ErrInvalid) {
			t.Errorf("StartSynthetic(%d) = %v, want ErrInvalid", rps, err)
		}
	}
	if err := f.StartSynthetic("nope", 1, time.Time{}); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("StartSynthetic(unknown) = %v, want ErrNotFound", err)
	}
	if n, err := f.StopSynthetic("gen"); err != nil || n != 0 {
		t.Errorf("StopSynthetic without a generator = %d, %v; want 0, nil", n, err)
	}
}

// TestSyntheticGeneratorSplitsAndEnds: the generator sends every other
// request to the baseline, so both versions get synthetic samples alike,
// and stops by itself at its deadline.
func TestSyntheticGeneratorSplitsAndEnds(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t)
	s := addService(t, f, "split", 1, "v1")
	v2, err := f.Launch(ctx, "split", "v2")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetRoute(ctx, "split", traffic.Split{Stable: "v1", Candidate: v2, Weight: 10}); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Truncate(fleet.Resolution)
	until := time.Now().Add(time.Second)
	if err := s.StartSynthetic(100, until); err != nil {
		t.Fatal(err)
	}
	// Wait (bounded) until the generator has ended by itself: the
	// recorded count stops growing after its deadline.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := int64(-1)
	for {
		select {
		case <-deadline:
			t.Fatal("synthetic generator still sending 9 s after its deadline")
		case <-tick.C:
		}
		n := s.SyntheticMetrics("v1", from, time.Now().Add(fleet.Resolution)).Requests + s.SyntheticMetrics(v2, from, time.Now().Add(fleet.Resolution)).Requests
		if time.Now().After(until.Add(500*time.Millisecond)) && n == last {
			break
		}
		last = n
	}
	to := time.Now().Add(fleet.Resolution)
	c, b := s.SyntheticMetrics(v2, from, to).Requests, s.SyntheticMetrics("v1", from, to).Requests
	if c < 20 || b < 20 || c-b > 1 || b-c > 1 {
		t.Errorf("synthetic requests: canary %d, baseline %d; want at least 20 each, alternating", c, b)
	}
	if r := s.Metrics("v1", from, to).Requests + s.Metrics(v2, from, to).Requests; r != 0 {
		t.Errorf("%d synthetic requests recorded as real traffic", r)
	}
	// A request the deadline cut short was sent but not recorded.
	if sent := s.StopSynthetic(); sent < c+b || sent > c+b+5 {
		t.Errorf("StopSynthetic after the deadline = %d sent, want the %d recorded (and at most the few in flight at the deadline)", sent, c+b)
	}
}
