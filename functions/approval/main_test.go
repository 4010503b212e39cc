package main

import (
	"context"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME")
}

// TestWiredHandler: the handler built from the environment stores the
// sample's approval token in the table TABLE_NAME names.
func TestWiredHandler(t *testing.T) {
	env := wiringtest.New(t, nil)
	h := wiringtest.Build(t, env, newHandler)
	in := wiringtest.Sample[control.ApprovalInput](t, "task-approval-register.json")
	env.Release(t, in.ReleaseID, in.Pipeline)
	if _, err := h(context.Background(), in); err != nil {
		t.Fatalf("approval: %v", err)
	}
	tok, err := env.Store.GetTaskToken(context.Background(), in.Token)
	if err != nil || tok.ReleaseID != in.ReleaseID {
		t.Errorf("stored token %+v, %v; want the sample's, of release %s", tok, err, in.ReleaseID)
	}
	env.CheckLogged(t, "approval")
}
