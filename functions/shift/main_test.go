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

// TestWiredHandler: the handler built from the environment checks the
// alarms on CloudWatch and prepares the candidate through the Lambda API
// (both awsfake), moving no traffic.
func TestWiredHandler(t *testing.T) {
	fn := awsfake.NewLambda(t)
	fn.AddFunction("orders-beta", "sha-2")
	fn.CreateAlias("orders-beta", "live", fn.Publish("orders-beta", "v1"))
	fn.UpdateCode("orders-beta", "sha-3")
	cw := awsfake.NewCloudWatch(t)
	cw.PutAlarm(awsfake.Alarm{Name: "orders-5xx", State: "OK"})
	cw.PutAlarm(awsfake.Alarm{Name: "orders-p99", State: "OK"})
	env := wiringtest.New(t, map[string]string{"LAMBDA": fn.URL(), "CLOUDWATCH": cw.URL()})
	h, err := newHandler(context.Background(), env.Getenv, observe.NewLogger(env.Logs))
	if err != nil {
		t.Fatal(err)
	}
	in := wiringtest.Sample[control.DeployTask](t, "task-shift-prepare.json")
	if _, _, err := env.Store.CreateRelease(context.Background(), release.Release{ID: in.ReleaseID, Pipeline: in.Pipeline, Version: "v2",
		Status: release.StatusInProgress, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiring"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h(context.Background(), in); err != nil {
		t.Fatalf("shift prepare: %v", err)
	}
	if a, ok := fn.Alias("orders-beta", "live"); !ok || a.Version != "1" || len(a.Weights) != 0 {
		t.Errorf("alias after prepare = %+v, %v; want all traffic still on version 1", a, ok)
	}
	if !env.Logs.Logged(t, map[string]any{"function": "shift"}) {
		t.Errorf("no log line of function shift: %v", env.Logs.Lines(t))
	}
}
