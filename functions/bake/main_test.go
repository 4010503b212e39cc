package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME", "SYNTHETIC_FUNCTION")
}

// TestWiredHandler: the handler built from the environment serves both
// actions of the bake function. Register stores the sample's token with
// the alarms it watches in the table TABLE_NAME names, reading their
// states from CloudWatch (awsfake) through the SDK's default
// configuration; when the bake's time is up, check drops the token and
// fails the bake on the alarm now in ALARM.
func TestWiredHandler(t *testing.T) {
	cw := awsfake.NewCloudWatch(t)
	cw.PutAlarm(awsfake.Alarm{Name: "orders-5xx", State: "OK"})
	cw.PutAlarm(awsfake.Alarm{Name: "orders-p99", State: "OK"})
	env := wiringtest.New(t, map[string]string{"CLOUDWATCH": cw.URL()})
	env.Vars["SYNTHETIC_FUNCTION"] = "shipwave-synthetic"
	h := wiringtest.Built(t, env, "bake", newHandler)
	ctx := context.Background()
	register := env.TaskPayload(t, "task-bake-register.json")
	var in struct {
		control.TargetTask
		Token  string   `json:"token"`
		Alarms []string `json:"alarms"`
	}
	if err := json.Unmarshal(register, &in); err != nil {
		t.Fatal(err)
	}

	if out, err := h(ctx, register); err != nil || string(out) != "{}" {
		t.Fatalf("bake register = %s, %v; want {}", out, err)
	}
	tok, err := env.Store.GetTaskToken(ctx, in.Token)
	if err != nil || tok.Kind != release.TokenBake || tok.Target != in.Target.Name || !slices.Equal(tok.Alarms, in.Alarms) {
		t.Errorf("stored token %+v, %v; want the bake of %s watching %v", tok, err, in.Target.Name, in.Alarms)
	}

	cw.SetState("orders-5xx", "ALARM", "5xx above 1%")
	_, err = h(ctx, wiringtest.Payload(t, "task-bake-check.json"))
	var alarm *control.AlarmTriggered
	if !errors.As(err, &alarm) || !strings.Contains(err.Error(), "orders-5xx") {
		t.Errorf("bake check = %v, want AlarmTriggered naming orders-5xx", err)
	}
	if _, err := env.Store.GetTaskToken(ctx, in.Token); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("token after the check: %v, want it dropped (ErrNotFound)", err)
	}
}
