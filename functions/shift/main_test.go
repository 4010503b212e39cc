package main

import (
	"context"
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
	h := wiringtest.Build(t, env, newHandler)
	in := wiringtest.Sample[control.DeployTask](t, "task-shift-prepare.json")
	env.Release(t, in.ReleaseID, in.Pipeline)
	if _, err := h(context.Background(), in); err != nil {
		t.Fatalf("shift prepare: %v", err)
	}
	if a, ok := fn.Alias("orders-beta", "live"); !ok || a.Version != "1" || len(a.Weights) != 0 {
		t.Errorf("alias after prepare = %+v, %v; want all traffic still on version 1", a, ok)
	}
	env.CheckLogged(t, "shift")
}
