package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME")
}

// TestWiredHandler: the handler built from the environment reads the
// release's spec from the table TABLE_NAME names: with none stored, the
// sample is refused as invalid input, not as an unreachable service.
func TestWiredHandler(t *testing.T) {
	env := wiringtest.New(t, nil)
	h := wiringtest.Build(t, env, newHandler)
	in := wiringtest.Sample[control.RollbackInput](t, "task-rollback.json")
	env.Release(t, in.ReleaseID, in.Pipeline)
	_, err := h(context.Background(), in)
	var invalid *control.InvalidInput
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "no spec") {
		t.Errorf("rollback = %v, want InvalidInput: the pipeline has no spec in the table", err)
	}
	env.CheckLogged(t, "rollback")
}
