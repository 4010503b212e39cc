package main

import (
	"context"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	_, err := newHandler(context.Background(), func(string) string { return "" }, observe.NewLogger(&wiringtest.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("newHandler with an empty environment = %v, want an error naming TABLE_NAME", err)
	}
}

// TestWiredHandler: the handler built from the environment verifies the
// target through the Lambda API (awsfake) and records the promotion in the
// table TABLE_NAME names.
func TestWiredHandler(t *testing.T) {
	fn := awsfake.NewLambda(t)
	fn.AddFunction("orders-beta", "sha-2")
	fn.Publish("orders-beta", "v1")
	fn.UpdateCode("orders-beta", "sha-3")
	fn.CreateAlias("orders-beta", "live", fn.Publish("orders-beta", "v2")) // the sample's candidate, at 100%
	env := wiringtest.New(t, map[string]string{"LAMBDA": fn.URL()})
	h, err := newHandler(context.Background(), env.Getenv, observe.NewLogger(env.Logs))
	if err != nil {
		t.Fatal(err)
	}
	in := wiringtest.Sample[control.DeployTask](t, "task-finalize.json")
	if _, _, err := env.Store.CreateRelease(context.Background(), release.Release{ID: in.ReleaseID, Pipeline: in.Pipeline, Version: "v2",
		Status: release.StatusInProgress, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiring"}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.PutTargetState(context.Background(), release.TargetState{Target: in.Target.Name, KnownGood: "1", Stable: "1", Candidate: "2",
		Weight: 100, ReleaseID: in.ReleaseID, Previous: "1", Phase: release.PhaseShifting, Stage: in.Stage, Wave: in.Wave}); err != nil {
		t.Fatal(err)
	}
	out, err := h(context.Background(), in)
	if err != nil || out.Version != "2" {
		t.Errorf("finalize = %+v, %v; want version 2 promoted", out, err)
	}
	if !env.Logs.Logged(t, map[string]any{"function": "finalize"}) {
		t.Errorf("no log line of function finalize: %v", env.Logs.Lines(t))
	}
}
