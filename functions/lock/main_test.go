package main

import (
	"context"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
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

// TestWiredHandlerTakesTheLease: the handler built from the environment
// takes the sample's lease in the table TABLE_NAME names and logs the
// invocation as the lock function.
func TestWiredHandlerTakesTheLease(t *testing.T) {
	env := wiringtest.New(t, nil)
	h, err := newHandler(context.Background(), env.Getenv, observe.NewLogger(env.Logs))
	if err != nil {
		t.Fatal(err)
	}
	in := wiringtest.Sample[control.DeployTask](t, "task-lock-acquire.json")
	if _, _, err := env.Store.CreateRelease(context.Background(), release.Release{ID: in.ReleaseID, Pipeline: in.Pipeline, Version: "v2",
		Status: release.StatusInProgress, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiring"}}); err != nil {
		t.Fatal(err)
	}
	lock, err := h(context.Background(), in)
	if err != nil {
		t.Fatalf("lock: %v", err)
	}
	stored, err := env.Store.GetLock(context.Background(), in.Target.Name)
	if err != nil || stored.Owner != lock.Owner || !strings.Contains(lock.Owner, in.ReleaseID) {
		t.Errorf("stored lock %+v, %v; want the returned one %+v, owned by release %s", stored, err, lock, in.ReleaseID)
	}
	if !env.Logs.Logged(t, map[string]any{"function": "lock"}) {
		t.Errorf("no log line of function lock: %v", env.Logs.Lines(t))
	}
}
