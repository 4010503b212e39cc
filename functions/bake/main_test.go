package main

import (
	"context"
	"errors"
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

// TestWiredHandler: the handler built from the environment reads the
// sample's alarms from CloudWatch (awsfake) through the SDK's default
// configuration and fails the bake on the one in ALARM.
func TestWiredHandler(t *testing.T) {
	cw := awsfake.NewCloudWatch(t)
	cw.PutAlarm(awsfake.Alarm{Name: "orders-5xx", State: "ALARM", Reason: "5xx above 1%"})
	cw.PutAlarm(awsfake.Alarm{Name: "orders-p99", State: "OK"})
	env := wiringtest.New(t, map[string]string{"CLOUDWATCH": cw.URL()})
	h, err := newHandler(context.Background(), env.Getenv, observe.NewLogger(env.Logs))
	if err != nil {
		t.Fatal(err)
	}
	in := wiringtest.Sample[control.DeployTask](t, "task-bake-check.json")
	if _, _, err := env.Store.CreateRelease(context.Background(), release.Release{ID: in.ReleaseID, Pipeline: in.Pipeline, Version: "v2",
		Status: release.StatusInProgress, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiring"}}); err != nil {
		t.Fatal(err)
	}
	_, err = h(context.Background(), in)
	var alarm *control.AlarmTriggered
	if !errors.As(err, &alarm) || !strings.Contains(err.Error(), "orders-5xx") {
		t.Errorf("bake check = %v, want AlarmTriggered naming orders-5xx", err)
	}
	if !env.Logs.Logged(t, map[string]any{"function": "bake"}) {
		t.Errorf("no log line of function bake: %v", env.Logs.Lines(t))
	}
}
