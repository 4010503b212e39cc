package fleet_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/release"
)

func TestConcurrentLaunchStartsOnce(t *testing.T) {
	f := newFleet(t)
	s := addService(t, f, "orders", 2, "v1")
	var wg sync.WaitGroup
	ids := make([]string, 4)
	errs := make([]error, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = f.Launch(context.Background(), "orders", "v2+latency=5ms")
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != "v2+latency=5ms" {
			t.Errorf("Launch %d = %q, %v; want v2+latency=5ms", i, ids[i], errs[i])
		}
	}
	n := 0
	for _, p := range s.Processes() {
		if p.Version == "v2+latency=5ms" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d processes of v2, want 2 (one launch of 2 instances)", n)
	}
}

func TestLaunchCancelledLeavesNothing(t *testing.T) {
	f := newFleet(t)
	s := addService(t, f, "orders", 1, "v1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Launch(ctx, "orders", "v2"); err == nil {
		t.Fatal("Launch with a cancelled context succeeded")
	}
	if ps := s.Processes(); len(ps) != 1 || ps[0].Version != "v1" {
		t.Errorf("processes %+v, want only v1", ps)
	}
}

func TestCandidateRequestsRejects(t *testing.T) {
	f := newFleet(t)
	addService(t, f, "orders", 1, "v1")
	ctx := context.Background()
	tests := []struct {
		name   string
		target release.Target
		want   error
	}{
		{name: "not local", target: release.Target{Type: release.TargetLambdaAlias, Name: "fn:live"}, want: release.ErrInvalid},
		{name: "unknown service", target: release.Target{Type: release.TargetLocal, Name: "local:x", Service: "x"}, want: release.ErrNotFound},
		{name: "no name", target: release.Target{Type: release.TargetLocal}, want: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.CandidateRequests(ctx, tt.target, "v1", time.Now()); !errors.Is(err, tt.want) {
				t.Errorf("CandidateRequests = %v, want %v", err, tt.want)
			}
		})
	}
	// A target named after its service needs no Service field.
	if n, err := f.CandidateRequests(ctx, release.Target{Type: release.TargetLocal, Name: "orders"}, "v1", time.Now()); err != nil || n != 0 {
		t.Errorf("CandidateRequests by name = %d, %v; want 0, nil", n, err)
	}
}

func TestDatapointPercentiles(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, ms(i))
	}
	now := time.Now()
	d := fleet.NewDatapoint(now, now.Add(time.Second), 100, 7, lat...)
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, ms(50)}, {90, ms(90)}, {99, ms(99)}, {100, ms(100)}, {0.1, ms(1)}}
	for _, tt := range tests {
		if got := d.Percentile(tt.p); got != tt.want {
			t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := d.ErrorRate(); got != 7 {
		t.Errorf("ErrorRate = %v, want 7", got)
	}
	var empty fleet.Datapoint
	if empty.ErrorRate() != 0 || empty.Percentile(99) != 0 || empty.Samples() != 0 {
		t.Errorf("empty datapoint: rate %v, p99 %v, samples %d; want zeros", empty.ErrorRate(), empty.Percentile(99), empty.Samples())
	}
}
