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

// TestWiredHandler: the handler built from the environment stores the
// sample's approval token in the table TABLE_NAME names, and logs as the
// approval function.
func TestWiredHandler(t *testing.T) {
	env := wiringtest.New(t, nil)
	h, err := newHandler(context.Background(), env.Getenv, observe.NewLogger(env.Logs))
	if err != nil {
		t.Fatal(err)
	}
	in := wiringtest.Sample[control.ApprovalTask](t, "task-approval-register.json")
	if _, _, err := env.Store.CreateRelease(context.Background(), release.Release{ID: in.ReleaseID, Pipeline: in.Pipeline, Version: "v2",
		Status: release.StatusInProgress, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiring"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h(context.Background(), in); err != nil {
		t.Fatalf("approval: %v", err)
	}
	tok, err := env.Store.GetTaskToken(context.Background(), in.Token)
	if err != nil || tok.ReleaseID != in.ReleaseID {
		t.Errorf("stored token %+v, %v; want the sample's, of release %s", tok, err, in.ReleaseID)
	}
	if !env.Logs.Logged(t, map[string]any{"function": "approval"}) {
		t.Errorf("no log line of function approval: %v", env.Logs.Lines(t))
	}
}
