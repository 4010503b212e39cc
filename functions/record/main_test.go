package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// TestWiredHandler: the handler built from the environment serves the
// record function's actions on the table TABLE_NAME names: begin moves
// the sample's release to IN_PROGRESS and returns the plan compiled from
// its stored spec; a release whose spec is not stored is refused as
// invalid input, not as an unreachable service.
func TestWiredHandler(t *testing.T) {
	env, h := wiringtest.Task(t, "record", newHandler, nil)
	ctx := context.Background()
	begin := wiringtest.Payload(t, "task-record-begin.json")
	var in control.ReleaseTask
	if err := json.Unmarshal(begin, &in); err != nil {
		t.Fatal(err)
	}
	sv, err := env.Store.SaveSpec(ctx, storetest.SpecFor(in.Pipeline, in.Pipeline, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Store.CreateRelease(ctx, release.Release{ID: in.ReleaseID, Pipeline: in.Pipeline, SpecVersion: sv.Version, Version: "v2",
		Status: release.StatusPending, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiringtest"}}); err != nil {
		t.Fatal(err)
	}
	out, err := h(ctx, begin)
	var plan control.ReleasePlan
	if err != nil || json.Unmarshal(out, &plan) != nil || len(plan.Stages) != 1 || plan.Stages[0].Name != "beta" {
		t.Fatalf("record begin = %s, %v; want the plan of the spec's one stage", out, err)
	}
	if r, err := env.Store.GetRelease(ctx, in.ReleaseID); err != nil || r.Status != release.StatusInProgress {
		t.Errorf("release after begin = %s, %v; want IN_PROGRESS", r.Status, err)
	}

	env.Release(t, "01J0NOSPEC", "payments")
	_, err = h(ctx, json.RawMessage(`{"action":"begin","releaseId":"01J0NOSPEC","pipeline":"payments"}`))
	var invalid *control.InvalidInput
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "no spec") {
		t.Errorf("record begin without a spec = %v, want InvalidInput: pipeline payments has no spec in the table", err)
	}
}
