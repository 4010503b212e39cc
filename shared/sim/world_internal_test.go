package sim

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/traffictest"
)

// TestWorldShifterContract: the simulated fleet's shifter meets the
// traffic.Shifter contract every real shifter meets.
func TestWorldShifterContract(t *testing.T) {
	traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
		sc := &Scenario{Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Initial: "v0",
			Targets: []TargetSpec{{Name: "local:svc1", Service: "svc1", Alarms: []string{"svc1-5xx"}, RPS: 10, AlarmDelay: time.Minute}}}
		w := newWorld(sc, states.NewVirtualClock(sc.Start))
		t.Cleanup(func() { close(w.done) })
		return w, release.Target{Type: release.TargetLocal, Name: "local:svc1", Service: "svc1"}
	})
}
