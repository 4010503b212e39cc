package main

import (
	"context"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// TestWiredHandler: the handler built from the environment verifies the
// target through the Lambda API (awsfake) and records the promotion in the
// table TABLE_NAME names.
func TestWiredHandler(t *testing.T) {
	fn := awsfake.NewLambda(t)
	fn.AddFunction("orders-beta", "sha-2")
	fn.Publish("orders-beta", "v1")
	fn.UpdateCode("orders-beta", "sha-3")
	fn.CreateAlias("orders-beta", "live", fn.Publish("orders-beta", "v2")) // the sample's candidate, at 100%
	env, h := wiringtest.Task(t, "finalize", newHandler, map[string]string{"LAMBDA": fn.URL()})
	in := wiringtest.TaskSample[control.FinalizeInput](t, env, "task-finalize.json")
	if err := env.Store.SwapTargetState(context.Background(), release.TargetState{}, release.TargetState{Target: in.Target.Name, KnownGood: "1", Stable: "1", Candidate: "2",
		Weight: 100, ReleaseID: in.ReleaseID, Previous: "1", Phase: release.PhaseShifting, Stage: in.Stage, Wave: in.Wave}); err != nil {
		t.Fatal(err)
	}
	out, err := h(context.Background(), in)
	if err != nil || out.Version != "2" {
		t.Errorf("finalize = %+v, %v; want version 2 promoted", out, err)
	}
}
