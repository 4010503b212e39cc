package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
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
	// The first shift never went through, so nothing moved: FAILED, not
	// ROLLED_BACK.
	if res.Status != states.StatusFailed || res.Error != "ReleaseFailed" {
		t.Fatalf("release execution = %s %s (%s), want FAILED ReleaseFailed", res.Status, res.Error, res.Cause)
	}
	if got := w.releaseOf(r.ID); got.Status != release.StatusFailed || !strings.Contains(got.Reason, "TransientError") {
		t.Errorf("release = %s (%q), want FAILED naming the transient failure", got.Status, got.Reason)
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
	ref := newExecRef()
	w.onBake = func(w *world, weight int) {
		if weight == 30 {
			ref.get().Stop("", "stopped by an operator")
		}
	}
	r, x := w.start("v2", "push:orders:main:abort")
	ref.set(x)
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
	if got.Status != release.StatusRolledBack || !strings.Contains(got.Reason, "ABORTED") {
		t.Errorf("release = %s (%s), want ROLLED_BACK (it moved traffic, and reconcile restored it) with the reason", got.Status, got.Reason)
	}
	if evs := eventsOfType(w.events(r.ID), release.EventReleaseRolledBack); len(evs) != 1 || !strings.HasPrefix(evs[0].Message, "reconciled: ") {
		t.Errorf("end events = %+v, want one ReleaseRolledBack saying it was reconciled", evs)
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
			// Every bake says in its data how long it runs (the CLI's tree
			// and the dashboard read it).
			for _, ev := range w.events(r.ID) {
				if ev.Type != release.EventBakeStarted && ev.Type != release.EventBakeExtended {
					continue
				}
				var d struct {
					Seconds int64 `json:"seconds"`
				}
				if err := json.Unmarshal(ev.Data, &d); err != nil || d.Seconds <= 0 {
					t.Errorf("%s %q has data %s (%v), want its seconds", ev.Type, ev.Message, ev.Data, err)
				}
			}
			// minRequests is the final bake's (at 100%), never the canary
			// step's: no extension before the shift to 100%.
			for _, ev := range w.events(r.ID) {
				if ev.Type == release.EventBakeExtended {
					t.Errorf("bake extended during the canary step: %s", eventTypes(w.events(r.ID)))
				}
				if ev.Type == release.EventTrafficShifted && strings.Contains(ev.Message, "100% on") {
					break
				}
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
			w.fireAlarm("orders-5xx")
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

const withLoadTest = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: QUEUED
stages:
  - name: prod
    waves:
      - name: one-box
        targets: [{ type: lambdaAlias, function: orders, alias: live }]
        deployment: Canary10Percent5Minutes
        bake: 5m
        loadTest:
          tasks: 2
          concurrency: 2
          holdFor: 1s
          url: %s
          criteria: { errorRate: 1%%, minRps: 1 }
`

// TestLoadTest runs the wave's load test for real: two load generator
// processes against a loopback service, their HDR results merged by the
// aggregator and judged by the criteria.
func TestLoadTest(t *testing.T) {
	tests := []struct {
		name      string
		errorRate int // every n-th request fails; 0 = none
		want      release.Status
		wantEvent release.EventType
		good      string
	}{
		{"healthy version passes", 0, release.StatusSucceeded, release.EventLoadTestPassed, "2"},
		{"errors under load roll back", 4, release.StatusRolledBack, release.EventLoadTestFailed, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			svc := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
				if tt.errorRate > 0 && n.Add(1)%int64(tt.errorRate) == 0 {
					rw.WriteHeader(http.StatusInternalServerError)
					return
				}
				_, _ = rw.Write([]byte("ok"))
			}))
			t.Cleanup(svc.Close)
			w := newWorldSpec(t, fmt.Sprintf(withLoadTest, svc.URL))
			r, x := w.start("v2", "push:orders:main:lt")
			w.wait(x)
			got := w.releaseOf(r.ID)
			if got.Status != tt.want {
				t.Errorf("release = %s (%s), want %s; events: %s", got.Status, got.Reason, tt.want, eventTypes(w.events(r.ID)))
			}
			if !hasEventType(w.events(r.ID), tt.wantEvent) {
				t.Errorf("no %s event: %s", tt.wantEvent, eventTypes(w.events(r.ID)))
			}
			if n.Load() == 0 && tt.errorRate > 0 {
				t.Error("the service saw no load")
			}
			w.checkInvariants(r, tt.good)
		})
	}
}

// TestAlarmEventLostFinalCheckCatchesIt is the bake-timeout race: the alarm
// fires but its event never reaches alarmwatch before the bake times out;
// BakeCheck's final alarm check catches it and rolls back.
func TestAlarmEventLostFinalCheckCatchesIt(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	w.onBake = func(w *world, weight int) {
		if weight == 10 {
			w.mu.Lock()
			w.alarms["orders-5xx"] = alarms.StateAlarm // no event is delivered
			w.mu.Unlock()
		}
	}
	r, x := w.start("v2", "push:orders:main:race")
	if res := w.wait(x); res.Error != "ReleaseRolledBack" {
		t.Fatalf("release execution = %s %s (%s)", res.Status, res.Error, res.Cause)
	}
	if got, want := strings.Join(w.aliasUpdates(), " "), "1+2@0.1 1"; got != want {
		t.Errorf("alias updates = %q, want %q", got, want)
	}
	if len(w.failures) != 0 {
		t.Errorf("task failures sent = %v, want none (the timeout won the race)", w.failures)
	}
	w.checkInvariants(r, "1")
}

// TestAlarmAlreadyFiringRefusesToDeploy: the alarm pre-flight refuses to
// deploy blind, before any traffic moves.
func TestAlarmAlreadyFiringRefusesToDeploy(t *testing.T) {
	for _, state := range []alarms.State{alarms.StateAlarm, alarms.StateInsufficientData, ""} {
		t.Run(string(state)+"-", func(t *testing.T) {
			w := newWorld(t, "QUEUED", "AllAtOnce")
			if state == "" {
				delete(w.alarms, "orders-5xx")
			} else {
				w.alarms["orders-5xx"] = state
			}
			r, x := w.start("v2", "push:orders:main:preflight")
			w.wait(x)
			got := w.releaseOf(r.ID)
			if got.Status != release.StatusFailed || !strings.Contains(got.Reason, "refusing to deploy blind") {
				t.Errorf("release = %s (%s), want FAILED (nothing moved) refusing to deploy blind", got.Status, got.Reason)
			}
			if u := w.aliasUpdates(); len(u) != 0 {
				t.Errorf("alias updates = %v, want none", u)
			}
			w.checkInvariants(r, "1")
		})
	}
}

const ecsSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: QUEUED
alarms: [orders-5xx]
stages:
  - name: prod
    waves:
      - name: one-box
        targets:
          - { type: ecsBlueGreen, cluster: prod, service: orders, listenerArn: "%s", blueTargetGroup: orders-blue, greenTargetGroup: orders-green }
        deployment: Linear10PercentEvery1Minute
        bake: 5m
`

// TestECSBlueGreen shifts an ALB listener between the blue and green target
// groups through the real ELBv2 client: promoted on health, back to 100%
// blue when an alarm fires mid-shift.
func TestECSBlueGreen(t *testing.T) {
	for _, alarmAt := range []int{0, 30} {
		t.Run(fmt.Sprintf("alarm at %d%%", alarmAt), func(t *testing.T) {
			w := newWorldSpec(t, "")
			if err := w.saveSpec(fmt.Sprintf(ecsSpec, w.listener)); err != nil {
				t.Fatal(err)
			}
			w.onBake = func(w *world, weight int) {
				if weight == alarmAt {
					w.fireAlarm("orders-5xx")
				}
			}
			r, x := w.start("v2", "push:orders:main:ecs")
			w.wait(x)
			want, wantGroup := release.StatusSucceeded, w.green
			if alarmAt > 0 {
				want, wantGroup = release.StatusRolledBack, w.blue
			}
			if got := w.releaseOf(r.ID); got.Status != want {
				t.Errorf("release = %s (%s), want %s; events: %s", got.Status, got.Reason, want, eventTypes(w.events(r.ID)))
			}
			var live []string
			for _, a := range w.elb.ListenerActions(w.listener) {
				for _, f := range a.Forward {
					if f.Weight > 0 {
						live = append(live, f.TargetGroupArn)
					}
				}
			}
			if len(live) != 1 || live[0] != wantGroup {
				t.Errorf("listener forwards to %v, want only %s", live, wantGroup)
			}
		})
	}
}

// TestReconcileDeployExecutionRestoresOnlyItsTarget: a deploy execution that
// dies (here: stopped mid-shift) is reconciled on its own — its target goes
// back to the last good version — without ending the release.
func TestReconcileDeployExecutionRestoresOnlyItsTarget(t *testing.T) {
	w := newWorld(t, "QUEUED", "Linear10PercentEvery1Minute")
	var stopped string
	w.onBake = func(w *world, weight int) {
		if weight != 20 || stopped != "" {
			return
		}
		// Stop the deploy child the way an operator would in the console.
		child, ok := w.engine.Execution("arn:aws:states:us-east-1:123456789012:execution:shipwave-deploy:" + w.bakingRelease + "-s0w0t0")
		if !ok {
			w.t.Error("deploy execution not found")
			return
		}
		stopped = string(child.Input())
		child.Stop("", "stopped by an operator")
	}
	r, x := w.start("v2", "push:orders:main:stop-child")
	res := w.wait(x)
	if stopped == "" {
		t.Fatal("the deploy execution was never stopped")
	}
	// The release saw its deploy fail and finished on its own path.
	if res.Status != states.StatusFailed {
		t.Fatalf("release execution = %s, want FAILED", res.Status)
	}
	// The release's own path restored the target already; reconciling
	// the deploy execution afterwards finds nothing left to do.
	out, err := w.svc.Reconcile(context.Background(), control.ExecutionChange{Name: r.ID + "-s0w0t0", Status: "ABORTED", Input: stopped})
	if err != nil || out.Action != "none" {
		t.Fatalf("reconcile = %+v, %v; want none (already restored)", out, err)
	}
	// Reconciling one target never ends the release: it ended on its own
	// path, rolled back by its safety net.
	if got := w.releaseOf(r.ID); got.Status != release.StatusRolledBack {
		t.Errorf("release = %s (%s), want ROLLED_BACK", got.Status, got.Reason)
	}
	w.checkInvariants(r, "1")
}

const withApproval = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: QUEUED
stages:
  - name: prod
    approval: { approvers: [alice], timeout: 1h }
    waves:
      - name: one-box
        targets: [{ type: lambdaAlias, function: orders, alias: live }]
        deployment: AllAtOnce
        bake: 5m
`

// TestApproval: only a listed approver can open the gate; nobody answering
// rejects the release when the approval times out, audited in the log, and
// no traffic moves.
func TestApproval(t *testing.T) {
	tests := []struct {
		name       string
		decide     []control.Decision
		wantStatus release.Status
		wantEvents []release.EventType
		good       string
	}{
		{"approved by a listed approver", []control.Decision{{Actor: "mallory", Approve: true}, {Actor: "alice", Approve: true}},
			release.StatusSucceeded, []release.EventType{release.EventApprovalWaiting, release.EventNote, release.EventApproved}, "2"},
		{"rejected", []control.Decision{{Actor: "alice", Comment: "not today"}},
			release.StatusCancelled, []release.EventType{release.EventApprovalWaiting, release.EventRejected}, "1"},
		{"nobody answers", nil, release.StatusCancelled, []release.EventType{release.EventApprovalWaiting, release.EventApprovalTimedOut}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorldSpec(t, withApproval)
			var decideErrs []error
			w.onApproval = func(w *world, releaseID string) {
				for _, d := range tt.decide {
					d.ReleaseID = releaseID
					decideErrs = append(decideErrs, w.svc.Decide(context.Background(), d))
				}
			}
			r, x := w.start("v2", "push:orders:main:approval")
			w.wait(x)
			got := w.releaseOf(r.ID)
			if got.Status != tt.wantStatus {
				t.Errorf("release = %s (%s), want %s; events: %s", got.Status, got.Reason, tt.wantStatus, eventTypes(w.events(r.ID)))
			}
			for _, e := range tt.wantEvents {
				if n := len(eventsOfType(w.events(r.ID), e)); n != 1 {
					t.Errorf("%d %s events, want exactly one: %s", n, e, eventTypes(w.events(r.ID)))
				}
			}
			if len(tt.decide) > 1 && !errors.Is(decideErrs[0], release.ErrUnauthorized) {
				t.Errorf("decision by a non-approver = %v, want ErrUnauthorized", decideErrs[0])
			}
			if tt.wantStatus != release.StatusSucceeded && len(w.aliasUpdates()) != 0 {
				t.Errorf("alias updates = %v, want none", w.aliasUpdates())
			}
			w.checkInvariants(r, tt.good)
		})
	}
}
