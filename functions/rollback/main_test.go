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

// TestWiredHandler: the handler built from the environment reads the
// release's spec from the table TABLE_NAME names: with none stored, the
// sample is refused as invalid input, not as an unreachable service.
func TestWiredHandler(t *testing.T) {
	env, h := wiringtest.Task(t, "rollback", newHandler, nil)
	in := wiringtest.TaskSample[control.RollbackInput](t, env, "task-rollback.json")
	_, err := h(context.Background(), in)
	var invalid *control.InvalidInput
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "no spec") {
		t.Errorf("rollback = %v, want InvalidInput: the pipeline has no spec in the table", err)
	}
}
