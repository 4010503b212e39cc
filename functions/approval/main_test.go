package main

import (
	"context"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// TestWiredHandler: the handler built from the environment stores the
// sample's approval token in the table TABLE_NAME names.
func TestWiredHandler(t *testing.T) {
	env, h := wiringtest.Task(t, "approval", newHandler, nil)
	in := wiringtest.TaskSample[control.ApprovalInput](t, env, "task-approval-register.json")
	if _, err := h(context.Background(), in); err != nil {
		t.Fatalf("approval: %v", err)
	}
	tok, err := env.Store.GetTaskToken(context.Background(), in.Token)
	if err != nil || tok.ReleaseID != in.ReleaseID {
		t.Errorf("stored token %+v, %v; want the sample's, of release %s", tok, err, in.ReleaseID)
	}
}
