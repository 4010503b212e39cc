package metricalarms_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/fleet/fleettest"
	"github.com/shipwave/shipwave/shared/metricalarms"
	"github.com/shipwave/shipwave/shared/traffic"
)

// TestFaultyVersionOnRealFleetTripsAlarm runs real demo-service processes
// behind the fleet's proxy with background traffic: a version failing 20%
// of its requests at 50% weight must put the alarm in ALARM within a few
// periods, announced by an event alarms.ParseStateChange accepts, and the
// rollback must bring it back to OK.
func TestFaultyVersionOnRealFleetTripsAlarm(t *testing.T) {
	f := fleettest.New(t, fleet.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	s, err := f.AddService(ctx, "orders", 2, "v1")
	if err != nil {
		t.Fatalf("AddService: %v", err)
	}
	if err := s.StartTraffic(100); err != nil {
		t.Fatal(err)
	}
	changes := make(chan events.CloudWatchEvent, 16)
	e, err := metricalarms.New(metricalarms.Config{
		Alarms: []metricalarms.Alarm{errorRateAlarm()}, Metrics: f,
		OnChange: func(ev events.CloudWatchEvent) { changes <- ev },
	})
	if err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithCancel(ctx)
	t.Cleanup(func() { stop(); <-e.Done() })
	if err := e.Start(run); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	if err := alarms.Preflight(ctx, e, []string{"orders-5xx"}); err != nil {
		t.Fatalf("Preflight on healthy traffic: %v", err)
	}
	expect := func(want alarms.State, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		deadline := time.After(within)
		for {
			select {
			case ev := <-changes:
				c, err := alarms.ParseStateChange(ev)
				if err != nil {
					t.Fatalf("ParseStateChange(%s): %v", ev.Detail, err)
				}
				if c.State == want {
					return time.Since(start)
				}
			case <-deadline:
				got, _ := e.States(ctx, []string{"orders-5xx"})
				t.Fatalf("no change to %s within %v; state %v", want, within, got)
			}
		}
	}
	v2, err := f.Launch(ctx, "orders", "v2+error-rate=0.2")
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: v2, Weight: 50}); err != nil {
		t.Fatal(err)
	}
	took := expect(alarms.StateAlarm, 6*time.Second)
	t.Logf("ALARM %v after the shift", took)
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1"}); err != nil {
		t.Fatal(err)
	}
	took = expect(alarms.StateOK, 8*time.Second)
	t.Logf("OK %v after the rollback", took)
}
