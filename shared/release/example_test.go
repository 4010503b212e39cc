package release_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// A CodeDeploy predefined configuration compiles to the steps the shift
// task walks: the canary weight baked for the interval, then 100% baked
// for the wave's bake time.
func ExampleDeployment_Compile() {
	d, _ := release.PredefinedDeployment("CodeDeployDefault.LambdaCanary10Percent5Minutes")
	plan, err := d.Compile(10 * time.Minute)
	if err != nil {
		panic(err)
	}
	for _, s := range plan {
		fmt.Printf("%d%% for %s\n", s.Weight, s.Bake)
	}
	// Output:
	// 10% for 5m0s
	// 100% for 10m0s
}

// Linear steps stop short of 100%, which is always the last step.
func ExampleDeployment_Compile_linear() {
	plan, _ := release.Deployment{Type: release.ShiftLinear, Percent: 30, Interval: time.Minute}.Compile(0)
	for _, s := range plan {
		fmt.Printf("%d%% for %s\n", s.Weight, s.Bake)
	}
	// Output:
	// 30% for 1m0s
	// 60% for 1m0s
	// 90% for 1m0s
	// 100% for 0s
}

// The ledger reads a release's log back into what it did to each target:
// here a candidate that held traffic and a restore that began but was not
// verified, so the target must be restored to its known-good version.
func ExampleNewLedger() {
	data := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	log := []release.Event{
		{Seq: 1, Type: release.EventTargetPrepared, Stage: "prod", Wave: "w1", Target: "orders",
			Data: data(map[string]string{"knownGood": "41", "candidate": "42"})},
		{Seq: 2, Type: release.EventTrafficShifted, Stage: "prod", Wave: "w1", Target: "orders",
			Data: data(map[string]any{"weight": 10})},
		{Seq: 3, Type: release.EventRollbackStarted, Stage: "prod", Wave: "w1", Target: "orders"},
	}
	l := release.NewLedger(log)
	t, _ := l.Get("orders")
	fmt.Printf("known-good %s, candidate %s at %d%%, moved %v, restoring %v\n", t.KnownGood, t.Candidate, t.Weight, t.Moved, t.Restoring)
	fmt.Println("moved:", l.Moved(), "restored:", l.Restored())
	// Output:
	// known-good 41, candidate 42 at 10%, moved true, restoring true
	// moved: true restored: false
}

// Each terminal status has exactly one event that records the end.
func ExampleStatus_EndEvent() {
	for _, s := range []release.Status{release.StatusInProgress, release.StatusRolledBack, release.StatusCancelled} {
		fmt.Printf("%s terminal=%v end=%q\n", s, s.Terminal(), s.EndEvent())
	}
	// Output:
	// IN_PROGRESS terminal=false end=""
	// ROLLED_BACK terminal=true end="ReleaseRolledBack"
	// CANCELLED terminal=true end="ReleaseCancelled"
}
