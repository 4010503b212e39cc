package main

import (
	"context"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// TestWiredHandler: the handler built from the environment takes the
// sample's lease in the table TABLE_NAME names.
func TestWiredHandler(t *testing.T) {
	env, h := wiringtest.Task(t, "lock", newHandler, nil)
	in := wiringtest.TaskSample[control.LockInput](t, env, "task-lock-acquire.json")
	lock, err := h(context.Background(), in)
	if err != nil {
		t.Fatalf("lock: %v", err)
	}
	stored, err := env.Store.GetLock(context.Background(), in.Target.Name)
	if err != nil || stored.Owner != lock.Owner || !strings.Contains(lock.Owner, in.ReleaseID) {
		t.Errorf("stored lock %+v, %v; want the returned one %+v, owned by release %s", stored, err, lock, in.ReleaseID)
	}
}
