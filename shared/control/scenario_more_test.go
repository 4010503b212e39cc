package control_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
)

func TestThrottledShiftIsRetriedWithBackoff(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	// Three SDK attempts per call: 5 throttles fail the first Shift call once
	// (TransientError), and the state machine's Retry succeeds.
	w.lambda.Throttle("UpdateAlias", 5)
	r, x := w.start("v2", "push:orders:main:throttle")
	if res := w.wait(x); res.Status != states.StatusSucceeded {
		t.Fatalf("release execution = %s %s (%s); events: %s", res.Status, res.Error, res.Cause, eventTypes(w.events(r.ID)))
	}
	if got, want := strings.Join(w.aliasUpdates(), " "), "1+2@0.1 2"; got != want {
		t.Errorf("alias updates = %q, want %q", got, want)
	}
	w.checkInvariants(r, "2")
}

func TestPersistentThrottlingRollsBack(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	// 7 invocations × 3 SDK attempts: every try of the first shift fails;
	// the rollback's own call then goes through.
	w.lambda.Throttle("UpdateAlias", 21)
	r, x := w.start("v2", "push:orders:main:throttle-hard")
	res := w.wait(x)
	if res.Status != states.StatusFailed || res.Error != "ReleaseRolledBack" {
		t.Fatalf("release execution = %s %s (%s), want FAILED ReleaseRolledBack", res.Status, res.Error, res.Cause)
	}
	if got := w.releaseOf(r.ID); !strings.Contains(got.Reason, "TransientError") {
		t.Errorf("reason = %q, want it to name the transient failure", got.Reason)
	}
	w.checkInvariants(r, "1")
}

func TestQueuedReleaseWaitsForTheRunningOne(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	var second *states.Execution
	var secondRel release.Release
	w.onBake = func(w *world, weight int) {
		if second == nil {
			secondRel, second = w.start("v3", "push:orders:main:v3") // arrives while v2 bakes
		}
	}
	first, x := w.start("v2", "push:orders:main:v2")
	if res := w.wait(x); res.Status != states.StatusSucceeded {
		t.Fatalf("first release = %s %s", res.Status, res.Cause)
	}
	w.lambda.UpdateCode("orders", "sha-v3")
	if res := w.wait(second); res.Status != states.StatusSucceeded {
		t.Fatalf("second release = %s %s (%s); events: %s", res.Status, res.Error, res.Cause, eventTypes(w.events(secondRel.ID)))
	}
	if !hasEventType(w.events(secondRel.ID), release.EventQueued) {
		t.Errorf("second release was not queued: %s", eventTypes(w.events(secondRel.ID)))
	}
	// Both ran one after the other: v2's shifts, then v3's.
	if got, want := strings.Join(w.aliasUpdates(), " "), "1+2@0.1 2 2+3@0.1 3"; got != want {
		t.Errorf("alias updates = %q, want %q", got, want)
	}
	w.checkInvariants(first, "3")
	w.checkInvariants(secondRel, "3")
}

func TestSupersededReleaseGivesWayWhileWaitingForTheTarget(t *testing.T) {
	w := newWorld(t, "SUPERSEDED", "AllAtOnce")
	ctx := context.Background()
	// Someone (a maintenance job) holds the target for ten minutes.
	if _, err := w.store.AcquireLock(ctx, "lambda:orders:live", "maintenance", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	older, xOld := w.start("v2", "push:orders:main:old")
	w.clock.Advance(time.Second) // the newer release is created later
	newer, xNew := w.start("v2", "push:orders:main:new")
	if res := w.wait(xOld); res.Status != states.StatusSucceeded {
		t.Fatalf("older release execution = %s %s (%s)", res.Status, res.Error, res.Cause)
	}
	if got := w.releaseOf(older.ID).Status; got != release.StatusSuperseded {
		t.Errorf("older release = %s, want SUPERSEDED; events: %s", got, eventTypes(w.events(older.ID)))
	}
	if res := w.wait(xNew); res.Status != states.StatusSucceeded {
		t.Fatalf("newer release execution = %s %s (%s)", res.Status, res.Error, res.Cause)
	}
	if got := w.releaseOf(newer.ID).Status; got != release.StatusSucceeded {
		t.Errorf("newer release = %s, want SUCCEEDED", got)
	}
	if got, want := strings.Join(w.aliasUpdates(), " "), "2"; got != want {
		t.Errorf("alias updates = %q, want %q (only the newer release shifts)", got, want)
	}
	w.checkInvariants(newer, "2")
}

func TestReconcileRestoresTrafficAfterAbortedExecution(t *testing.T) {
	w := newWorld(t, "QUEUED", "Linear10PercentEvery1Minute")
	var x *states.Execution
	w.onBake = func(w *world, weight int) {
		if weight == 30 {
			x.Stop("", "stopped by an operator")
		}
	}
	var r release.Release
	r, x = w.start("v2", "push:orders:main:abort")
	if res := w.wait(x); res.Status != states.StatusAborted {
		t.Fatalf("release execution = %s, want ABORTED", res.Status)
	}
	if a, _ := w.lambda.Alias("orders", "live"); len(a.Weights) == 0 {
		t.Fatalf("want traffic left mid-shift by the abort, got alias %+v", a)
	}
	input, _ := json.Marshal(map[string]string{"releaseId": r.ID})
	res, err := w.svc.Reconcile(context.Background(), control.ExecutionChange{Name: r.ID, Status: "ABORTED", Input: string(input)})
	if err != nil || res.Action != "restored" {
		t.Fatalf("reconcile = %+v, %v; want restored", res, err)
	}
	got := w.releaseOf(r.ID)
	if got.Status != release.StatusFailed || !strings.Contains(got.Reason, "ABORTED") {
		t.Errorf("release = %s (%s), want FAILED with the reason", got.Status, got.Reason)
	}
	w.checkInvariants(r, "1")
	// A redelivered event changes nothing.
	if res, err := w.svc.Reconcile(context.Background(), control.ExecutionChange{Name: r.ID, Status: "ABORTED", Input: string(input)}); err != nil || res.Action != "none" {
		t.Errorf("second reconcile = %+v, %v; want none", res, err)
	}
}

func TestBakeNeedsData(t *testing.T) {
	tests := []struct {
		name       string
		bake       string
		requests   int64
		wantStatus release.Status
		wantEvent  release.EventType
	}{
		{"enough requests", "{ duration: 10m, minRequests: 500 }", 800, release.StatusSucceeded, release.EventBakePassed},
		{"too few, fail", "{ duration: 10m, minRequests: 500, maxExtension: 20m }", 10, release.StatusRolledBack, release.EventBakeExtended},
		{"too few, promote", "{ duration: 10m, minRequests: 500, maxExtension: 5m, onInsufficientData: promote }", 10, release.StatusSucceeded, release.EventBakeExtended},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorldSpec(t, ordersPipeline("QUEUED", "Canary10Percent5Minutes", tt.bake))
			w.requests = tt.requests
			r, x := w.start("v2", "push:orders:main:data")
			w.wait(x)
			got := w.releaseOf(r.ID)
			if got.Status != tt.wantStatus {
				t.Errorf("release = %s (%s), want %s; events: %s", got.Status, got.Reason, tt.wantStatus, eventTypes(w.events(r.ID)))
			}
			if !hasEventType(w.events(r.ID), tt.wantEvent) {
				t.Errorf("no %s event: %s", tt.wantEvent, eventTypes(w.events(r.ID)))
			}
			good := "2"
			if tt.wantStatus != release.StatusSucceeded {
				good = "1"
			}
			w.checkInvariants(r, good)
		})
	}
}

const twoWaves = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: QUEUED
alarms: [orders-5xx]
onFailure: rollbackAllWaves
stages:
  - name: prod
    waves:
      - name: us
        targets: [{ type: lambdaAlias, function: orders, alias: live }]
        deployment: AllAtOnce
        bake: 5m
      - name: eu
        targets: [{ type: lambdaAlias, function: orders-eu, alias: live }]
        deployment: Canary10Percent5Minutes
        bake: 5m
`

func TestFailedWaveRollsBackEarlierWaves(t *testing.T) {
	w := newWorldSpec(t, twoWaves)
	w.onBake = func(w *world, weight int) {
		if weight == 10 { // eu's canary
			w.mu.Lock()
			w.alarms["orders-5xx"] = control.AlarmFiring
			w.mu.Unlock()
			if _, err := w.svc.AlarmChanged(context.Background(), control.AlarmChange{Alarm: "orders-5xx", State: control.AlarmFiring}); err != nil {
				w.t.Error(err)
			}
		}
	}
	r, x := w.start("v2", "push:orders:main:waves")
	if res := w.wait(x); res.Error != "ReleaseRolledBack" {
		t.Fatalf("release execution = %s %s (%s); events: %s", res.Status, res.Error, res.Cause, eventTypes(w.events(r.ID)))
	}
	for _, fn := range []string{"orders", "orders-eu"} {
		if a, _ := w.lambda.Alias(fn, "live"); a.Version != "1" || len(a.Weights) != 0 {
			t.Errorf("%s:live = %+v, want 100%% on 1", fn, a)
		}
	}
	var rolledBack []string
	for _, ev := range w.events(r.ID) {
		if ev.Type == release.EventRolledBack {
			rolledBack = append(rolledBack, ev.Target)
		}
	}
	if got, want := strings.Join(rolledBack, " "), "lambda:orders-eu:live lambda:orders:live"; got != want {
		t.Errorf("rolled back %q, want %q (failed wave first, then earlier waves newest first)", got, want)
	}
	w.checkInvariants(r, "1")
}

// TestTransitionsPerTarget counts the state transitions one target's deploy
// takes with Canary10Percent5Minutes and both hooks: the cost model in
// docs/benchmarks.md, and the goal of at most 40 without polling.
func TestTransitionsPerTarget(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	r, x := w.start("v2", "push:orders:main:count")
	if res := w.wait(x); res.Status != states.StatusSucceeded {
		t.Fatalf("release = %s", res.Status)
	}
	child, ok := w.engine.Execution("arn:aws:states:us-east-1:123456789012:execution:shipwave-deploy:" + r.ID + "-s0w0t0")
	if !ok {
		t.Fatal("deploy execution not found")
	}
	entered := 0
	for _, ev := range child.History() {
		if strings.HasSuffix(ev.Type, "StateEntered") {
			entered++
		}
	}
	if entered == 0 || entered > 40 {
		t.Errorf("deploy took %d state transitions, want 1..40", entered)
	}
	t.Logf("transitions per target (Canary10Percent5Minutes, both hooks): %d", entered)
}
