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
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME")
}

// TestWiredHandler: the handler built from the environment reads the
// sample's alarms from CloudWatch (awsfake) through the SDK's default
// configuration and fails the bake on the one in ALARM.
func TestWiredHandler(t *testing.T) {
	cw := awsfake.NewCloudWatch(t)
	cw.PutAlarm(awsfake.Alarm{Name: "orders-5xx", State: "ALARM", Reason: "5xx above 1%"})
	cw.PutAlarm(awsfake.Alarm{Name: "orders-p99", State: "OK"})
	env := wiringtest.New(t, map[string]string{"CLOUDWATCH": cw.URL()})
	h := wiringtest.Build(t, env, newHandler)
	in := wiringtest.Sample[control.DeployTask](t, "task-bake-check.json")
	env.Release(t, in.ReleaseID, in.Pipeline)
	_, err := h(context.Background(), in)
	var alarm *control.AlarmTriggered
	if !errors.As(err, &alarm) || !strings.Contains(err.Error(), "orders-5xx") {
		t.Errorf("bake check = %v, want AlarmTriggered naming orders-5xx", err)
	}
	env.CheckLogged(t, "bake")
}
