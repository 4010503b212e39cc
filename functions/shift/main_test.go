package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// TestWiredHandler: the handler built from the environment serves both
// actions of the shift function. Prepare checks the alarms on CloudWatch,
// prepares the candidate through the Lambda API (both awsfake) and records
// it in the table TABLE_NAME names, moving no traffic; the step then moves
// the sample's 10% to the candidate. An action the function does not serve
// is InvalidInput. Each invocation's log line names its action.
func TestWiredHandler(t *testing.T) {
	fn := awsfake.NewLambda(t)
	fn.AddFunction("orders-beta", "sha-2")
	fn.CreateAlias("orders-beta", "live", fn.Publish("orders-beta", "v1"))
	fn.UpdateCode("orders-beta", "sha-3")
	cw := awsfake.NewCloudWatch(t)
	cw.PutAlarm(awsfake.Alarm{Name: "orders-5xx", State: "OK"})
	cw.PutAlarm(awsfake.Alarm{Name: "orders-p99", State: "OK"})
	env, h := wiringtest.Task(t, "shift", newHandler, map[string]string{"LAMBDA": fn.URL(), "CLOUDWATCH": cw.URL()})
	ctx := context.Background()
	prepare := env.TaskPayload(t, "task-shift-prepare.json")
	var in control.TargetTask
	if err := json.Unmarshal(prepare, &in); err != nil {
		t.Fatal(err)
	}

	out, err := h(ctx, prepare)
	if err != nil {
		t.Fatalf("shift prepare: %v", err)
	}
	var split traffic.Split
	if err := json.Unmarshal(out, &split); err != nil || split.Stable != "1" || split.Candidate != "2" || split.Weight != 0 {
		t.Errorf("prepare = %s, %v; want stable 1, candidate 2", out, err)
	}
	if a, ok := fn.Alias("orders-beta", "live"); !ok || a.Version != "1" || len(a.Weights) != 0 {
		t.Errorf("alias after prepare = %+v, %v; want all traffic still on version 1", a, ok)
	}
	if ts, err := env.Store.GetTargetState(ctx, in.Target.Name); err != nil || ts.Candidate != "2" || ts.ReleaseID != in.ReleaseID {
		t.Errorf("target state after prepare = %+v, %v; want candidate 2 of release %s", ts, err, in.ReleaseID)
	}

	if _, err := env.Store.AcquireLock(ctx, in.Target.Name, in.ReleaseID, time.Hour); err != nil {
		t.Fatal(err)
	}
	out, err = h(ctx, wiringtest.Payload(t, "task-shift-step.json"))
	var step control.StepOutput
	if err != nil || json.Unmarshal(out, &step) != nil || step.Weight != 10 || step.BakeSeconds != 300 {
		t.Fatalf("shift step = %s, %v; want 10%% and a bake of 300s", out, err)
	}
	if a, _ := fn.Alias("orders-beta", "live"); a.Version != "1" || a.Weights["2"] != 0.1 {
		t.Errorf("alias after the step = %+v; want 10%% on version 2", a)
	}
	if evs, err := env.Store.Events(ctx, in.ReleaseID, 0, 0); err != nil || !hasEvent(evs, release.EventTrafficShifted) {
		t.Errorf("events = %+v, %v; want TrafficShifted recorded", evs, err)
	}

	_, err = h(ctx, json.RawMessage(`{"action":"check","releaseId":"`+in.ReleaseID+`"}`))
	var invalid *control.InvalidInput
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), `"check"`) {
		t.Errorf("bake's action sent to shift = %v, want InvalidInput naming it", err)
	}
	for _, action := range []string{"prepare", "shift"} {
		if !env.Logs.Logged(t, map[string]any{"function": "shift", "action": action, "releaseId": in.ReleaseID}) {
			t.Errorf("no log line of action %s: %v", action, env.Logs.Lines(t))
		}
	}
}

func hasEvent(evs []release.Event, typ release.EventType) bool {
	for _, ev := range evs {
		if ev.Type == typ {
			return true
		}
	}
	return false
}
