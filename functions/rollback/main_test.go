package main

import (
	"context"
	"errors"
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

// TestWiredHandler: the handler built from the environment reads the
// release's spec from the table TABLE_NAME names: with none stored, the
// sample is refused as invalid input, not as an unreachable service.
func TestWiredHandler(t *testing.T) {
	env := wiringtest.New(t, nil)
	h, err := newHandler(context.Background(), env.Getenv, observe.NewLogger(env.Logs))
	if err != nil {
		t.Fatal(err)
	}
	in := wiringtest.Sample[control.DeployTask](t, "task-rollback.json")
	if _, _, err := env.Store.CreateRelease(context.Background(), release.Release{ID: in.ReleaseID, Pipeline: in.Pipeline, Version: "v2",
		Status: release.StatusInProgress, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiring"}}); err != nil {
		t.Fatal(err)
	}
	_, err = h(context.Background(), in)
	var invalid *control.InvalidInput
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "no spec") {
		t.Errorf("%s = %v, want InvalidInput: the pipeline has no spec in the table", "rollback", err)
	}
	if !env.Logs.Logged(t, map[string]any{"function": "rollback"}) {
		t.Errorf("no log line of function rollback: %v", env.Logs.Lines(t))
	}
}
