package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/traffic"
)

// prodWaves is a pipeline whose prod stage has two waves: one-box on
// orders:live, then rest on orders-eu:live.
func prodWaves(mode, onFailure, extra string) string {
	return fmt.Sprintf(`apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: %s
onFailure: %s
alarms: [orders-5xx]
%sstages:
  - name: prod
    waves:
      - name: one-box
        targets: [{ type: lambdaAlias, function: orders, alias: live }]
        deployment: Canary10Percent5Minutes
        bake: 10m
      - name: rest
        targets: [{ type: lambdaAlias, function: orders-eu, alias: live }]
        deployment: Canary10Percent5Minutes
        bake: 10m
`, mode, onFailure, extra)
}

// alias returns what an alias serves: "2" or "1+2@0.1".
func (w *world) alias(function string) string {
	w.t.Helper()
	a, ok := w.lambda.Alias(function, "live")
	if !ok {
		w.t.Fatalf("alias %s:live is gone", function)
	}
	s := a.Version
	for v, wt := range a.Weights {
		s += fmt.Sprintf("+%s@%v", v, wt)
	}
	return s
}

// checkSafety checks invariant 1 and 10 for a release across both aliases.
func (w *world) checkSafety(r release.Release, want map[string]string) {
	w.t.Helper()
	r = w.releaseOf(r.ID)
	if !r.Status.Terminal() {
		w.t.Errorf("release %s is %s, want it ended", r.ID, r.Status)
	}
	for fn, v := range want {
		if got := w.alias(fn); got != v {
			w.t.Errorf("%s:live serves %s, want 100%% on %s (release %s %s: %s)", fn, got, v, r.ID, r.Status, r.Reason)
		}
	}
	checkLog(w.t, w.events(r.ID), r)
}

// TestManualRollbackHonoursOnFailure: a person rolls back a release baking
// in its second wave. With rollbackAllWaves the wave it already promoted
// goes back too; with rollbackWave it stays, and becomes known-good when the
// release ends.
func TestManualRollbackHonoursOnFailure(t *testing.T) {
	for _, tc := range []struct {
		mode      string
		wantFirst string
	}{
		{"rollbackAllWaves", "1"},
		{"rollbackWave", "2"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			w := newWorldSpec(t, prodWaves("QUEUED", tc.mode, ""))
			var once sync.Once
			var reqErr error
			w.onBake = func(w *world, weight int) {
				if weight != 10 || !strings.Contains(w.alias("orders-eu"), "@") {
					return
				}
				once.Do(func() {
					_, reqErr = w.svc.RequestRollback(context.Background(), control.RollbackRequest{ReleaseID: w.bakingRelease, Actor: "alice", Reason: "customers report errors"})
				})
			}
			r, x := w.start("v2", "push:orders:main:manual-"+tc.mode)
			w.wait(x)
			if reqErr != nil {
				t.Fatalf("RequestRollback: %v", reqErr)
			}
			got := w.releaseOf(r.ID)
			if got.Status != release.StatusRolledBack || !strings.Contains(got.Reason, "alice") {
				t.Errorf("release = %s (%s), want ROLLED_BACK naming alice", got.Status, got.Reason)
			}
			w.checkSafety(r, map[string]string{"orders": tc.wantFirst, "orders-eu": "1"})
			if n := len(eventsOfType(w.events(r.ID), release.EventRollbackRequest)); n != 1 {
				t.Errorf("%d RollbackRequested events, want 1", n)
			}
			// Asking again after it ended is refused, and changes nothing.
			before := len(w.events(r.ID))
			if _, err := w.svc.RequestRollback(context.Background(), control.RollbackRequest{ReleaseID: r.ID, Actor: "alice"}); !errors.Is(err, release.ErrConflict) {
				t.Errorf("RequestRollback(ended) = %v, want ErrConflict", err)
			}
			if after := len(w.events(r.ID)); after != before {
				t.Errorf("a refused rollback appended %d events", after-before)
			}
		})
	}
}

// TestCrashMidWaveReconcilesEveryWave: the release execution dies while
// its second wave bakes; reconcile (as after a control-plane crash) uses
// the ledger, so the first wave's promotion is rolled back too.
func TestCrashMidWaveReconcilesEveryWave(t *testing.T) {
	w := newWorldSpec(t, prodWaves("QUEUED", "rollbackAllWaves", ""))
	ref := newExecRef()
	var once sync.Once
	w.onBake = func(w *world, weight int) {
		if weight == 10 && strings.Contains(w.alias("orders-eu"), "@") {
			once.Do(func() { go ref.get().Stop("States.Aborted", "the control plane died") })
		}
	}
	r, x := w.start("v2", "push:orders:main:crash")
	ref.set(x)
	if res := w.wait(x); res.Status != states.StatusAborted {
		t.Fatalf("release execution = %s, want ABORTED", res.Status)
	}
	if got := w.alias("orders"); got != "2" {
		t.Fatalf("before reconcile orders serves %s, want the promoted 2", got)
	}
	input, _ := json.Marshal(map[string]string{"releaseId": r.ID})
	res, err := w.svc.Reconcile(context.Background(), control.ExecutionChange{Name: r.ID, Status: "ABORTED", Input: string(input)})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	got := w.releaseOf(r.ID)
	if got.Status != release.StatusRolledBack {
		t.Errorf("release = %s (%s), want ROLLED_BACK; reconcile %+v", got.Status, got.Reason, res)
	}
	w.checkSafety(r, map[string]string{"orders": "1", "orders-eu": "1"})
}

// flakyShifter fails restores of one function until told otherwise, so a
// rollback can be interrupted half way.
type flakyShifter struct {
	control.Shifter
	mu   sync.Mutex
	fail map[string]func() // function → what to do instead of shifting to weight 0
}

func (f *flakyShifter) Shift(ctx context.Context, t release.Target, s traffic.Split) error {
	f.mu.Lock()
	do := f.fail[t.Function]
	f.mu.Unlock()
	if do != nil && s.Weight == 0 {
		do()
		return errors.New("connection reset: the control plane died mid-restore")
	}
	return f.Shifter.Shift(ctx, t, s)
}

// TestCrashDuringRollbackIsResumed: the control plane dies in the middle
// of a coordinated rollback (the second wave is back, the first is not);
// reconcile resumes it from the ledger and the RESTORING phase, and every
// target ends on its known-good version with one RolledBack each.
func TestCrashDuringRollbackIsResumed(t *testing.T) {
	w := newWorldSpec(t, prodWaves("QUEUED", "rollbackAllWaves", ""))
	inner, _ := w.svc.Shifters(release.Target{Type: release.TargetLambdaAlias})
	flaky := &flakyShifter{Shifter: inner, fail: map[string]func(){}}
	w.svc.Shifters = func(release.Target) (control.Shifter, error) { return flaky, nil }
	ref := newExecRef()
	var once sync.Once
	flaky.fail["orders"] = func() { once.Do(func() { go ref.get().Stop("States.Aborted", "the control plane died") }) }
	w.onBake = func(w *world, weight int) {
		if weight == 10 && strings.Contains(w.alias("orders-eu"), "@") {
			w.fireAlarm("orders-5xx")
		}
	}
	r, x := w.start("v2", "push:orders:main:crash-in-rollback")
	ref.set(x)
	w.wait(x)
	if got := w.alias("orders"); got != "2" {
		t.Fatalf("after the crash orders serves %s, want the interrupted 2", got)
	}
	ts, err := w.store.GetTargetState(context.Background(), "lambda:orders:live")
	if err != nil || ts.Phase != release.PhaseRestoring {
		t.Fatalf("orders target state = %+v, %v; want RESTORING", ts, err)
	}
	flaky.mu.Lock()
	delete(flaky.fail, "orders")
	flaky.mu.Unlock()
	w.mu.Lock()
	w.alarms["orders-5xx"] = alarms.StateOK
	w.mu.Unlock()
	input, _ := json.Marshal(map[string]string{"releaseId": r.ID})
	for range 2 { // a redelivered status change resumes nothing twice
		if _, err := w.svc.Reconcile(context.Background(), control.ExecutionChange{Name: r.ID, Status: "ABORTED", Input: string(input)}); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
	}
	w.checkSafety(r, map[string]string{"orders": "1", "orders-eu": "1"})
	for _, target := range []string{"lambda:orders:live", "lambda:orders-eu:live"} {
		n := 0
		for _, ev := range eventsOfType(w.events(r.ID), release.EventRolledBack) {
			if ev.Target == target {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s has %d RolledBack events, want 1", target, n)
		}
	}
}

// TestWindowClosingMidShiftKeepsWatching: the deploy window shuts while the
// canary holds 10%. The target holds there under a bake — its alarm is
// watched and its lease renewed — and rolls back when the alarm fires, or
// when the window stays shut longer than MaxWindowHold.
func TestWindowClosingMidShiftKeepsWatching(t *testing.T) {
	// The world's clock starts Wednesday 2026-03-04 10:00 UTC; the window
	// closes at 10:03, inside the canary's 5-minute bake.
	windows := "deployWindows: [{ days: Mon-Fri, hours: \"10:00-10:03\", timezone: UTC }]\n"
	for _, tc := range []struct {
		name       string
		alarm      bool
		wantReason string
	}{
		{"alarm during the hold", true, "AlarmTriggered"},
		{"window stays shut", false, "DeployWindowClosed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorldSpec(t, prodWaves("QUEUED", "rollbackAllWaves", windows))
			var unwatched []string
			var holds int
			var once sync.Once
			w.onBake = func(w *world, weight int) {
				// Every bake, holds included, is registered with its alarms
				// while traffic is partial.
				toks, err := w.store.TokensByRelease(context.Background(), w.bakingRelease)
				if err != nil {
					t.Error(err)
				}
				watched, standing := false, false
				for _, tok := range toks {
					if tok.Kind == release.TokenBake && len(tok.Alarms) > 0 {
						watched = true
					}
					if tok.Kind == release.TokenWatch && len(tok.Alarms) > 0 {
						standing = true // the watch that outlives each bake
					}
				}
				if !watched || strings.Contains(w.alias("orders"), "@") && !standing {
					unwatched = append(unwatched, w.alias("orders"))
				}
				if weight == 100 && strings.Contains(w.alias("orders"), "@") {
					holds++ // the next step (100%) is held at 10%
					if tc.alarm {
						once.Do(func() { w.fireAlarm("orders-5xx") })
					}
				}
			}
			r, x := w.start("v2", "push:orders:main:window-"+strings.ReplaceAll(tc.name, " ", "-"))
			w.wait(x)
			got := w.releaseOf(r.ID)
			if got.Status != release.StatusRolledBack || !strings.Contains(got.Reason, tc.wantReason) {
				t.Errorf("release = %s (%s), want ROLLED_BACK by %s", got.Status, got.Reason, tc.wantReason)
			}
			if holds == 0 {
				t.Errorf("the target never held at 10%% while the window was shut")
			}
			if len(unwatched) > 0 {
				t.Errorf("bakes registered with no alarm watch while serving %v", unwatched)
			}
			if n := len(eventsOfType(w.events(r.ID), release.EventWindowWaiting)); n != 1 {
				t.Errorf("%d DeployWindowWaiting events, want 1 (one per hold)", n)
			}
			w.checkSafety(r, map[string]string{"orders": "1", "orders-eu": "1"})
		})
	}
}

// TestParallelReleasesNeverRestoreOntoAnInFlightCandidate: two releases of
// a PARALLEL pipeline want the same targets. The second waits until the
// first has ended (a target serves one release at a time), so when the
// first fails — its
// candidate crashing in the second wave — nothing is ever restored onto a
// version of a release still in flight, and the second release's rollback
// returns to a proven version.
func TestParallelReleasesNeverRestoreOntoAnInFlightCandidate(t *testing.T) {
	w := newWorldSpec(t, prodWaves("PARALLEL", "rollbackAllWaves", ""))
	w.lambda.Publish("orders", "v2")    // version 2 of orders: release A
	w.lambda.Publish("orders-eu", "v2") // version 2 of orders-eu: release A
	w.lambda.UpdateCode("orders", "sha-v3")
	w.lambda.Publish("orders", "v3") // version 3: release B
	w.lambda.UpdateCode("orders-eu", "sha-v3")
	w.lambda.Publish("orders-eu", "v3")
	var b release.Release
	var bx *states.Execution
	var once sync.Once
	var startErr error
	w.onBake = func(w *world, weight int) {
		if w.bakingRelease == "" || b.ID == w.bakingRelease {
			return
		}
		if weight == 10 && strings.Contains(w.alias("orders-eu"), "@") {
			once.Do(func() {
				defer func() {
					if p := recover(); p != nil {
						startErr = fmt.Errorf("%v", p)
					}
				}()
				b, bx = w.startNamed("3", "push:orders:main:b")
				// A's candidate fails in its second wave; the alarm
				// clears once alarmwatch failed the bake.
				w.fireAlarm("orders-5xx")
				w.mu.Lock()
				w.alarms["orders-5xx"] = alarms.StateOK
				w.mu.Unlock()
			})
		}
	}
	a, ax := w.startNamed("2", "push:orders:main:a")
	w.wait(ax)
	if startErr != nil || bx == nil {
		t.Fatalf("release B did not start: %v", startErr)
	}
	w.wait(bx)
	if got := w.releaseOf(a.ID); got.Status != release.StatusRolledBack {
		t.Errorf("release A = %s (%s), want ROLLED_BACK", got.Status, got.Reason)
	}
	if got := w.releaseOf(b.ID); got.Status != release.StatusSucceeded {
		t.Errorf("release B = %s (%s), want SUCCEEDED after A ended", got.Status, got.Reason)
	}
	checkLog(t, w.events(a.ID), w.releaseOf(a.ID))
	checkLog(t, w.events(b.ID), w.releaseOf(b.ID))
	// B never prepared a target whose known-good version was A's candidate.
	for _, ev := range eventsOfType(w.events(b.ID), release.EventTargetPrepared) {
		var d struct{ KnownGood string }
		_ = json.Unmarshal(ev.Data, &d)
		if d.KnownGood != "1" {
			t.Errorf("B prepared %s with known-good %q, want 1 (A's 2 was never proven)", ev.Target, d.KnownGood)
		}
	}
	if w.alias("orders") != "3" || w.alias("orders-eu") != "3" {
		t.Errorf("aliases serve %s and %s, want 3 everywhere", w.alias("orders"), w.alias("orders-eu"))
	}
}

// startNamed starts a release whose artifact is a published version number.
func (w *world) startNamed(version, key string) (release.Release, *states.Execution) {
	return w.start(version, key)
}

// TestKnownGoodVersionPassesPreflightWhileAlarming: while the alarm is in
// ALARM every release is refused — except one whose candidate is the
// target's known-good version, the way back.
func TestKnownGoodVersionPassesPreflightWhileAlarming(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	w.alarms["orders-5xx"] = alarms.StateAlarm
	bad, x := w.start("v2", "push:orders:main:blind")
	w.wait(x)
	if got := w.releaseOf(bad.ID); got.Status != release.StatusFailed {
		t.Errorf("release of v2 while alarming = %s (%s), want FAILED (refused, nothing moved)", got.Status, got.Reason)
	}
	good, x := w.start("1", "push:orders:main:known-good")
	w.wait(x)
	if got := w.releaseOf(good.ID); got.Status != release.StatusSucceeded {
		t.Errorf("release of the known-good 1 while alarming = %s (%s), want SUCCEEDED", got.Status, got.Reason)
	}
	w.checkSafety(good, map[string]string{"orders": "1"})
}

// TestBreakGlassRestore: a person puts a target back on an earlier
// known-good version while its alarm fires; the restore is a release of its
// own that records the actor and reason, and refuses versions that were
// never known-good before it stores anything.
func TestBreakGlassRestore(t *testing.T) {
	w := newWorld(t, "QUEUED", "AllAtOnce")
	w.svc.Creator = w.store
	r, x := w.start("v2", "push:orders:main:promote")
	w.wait(x)
	if got := w.releaseOf(r.ID); got.Status != release.StatusSucceeded {
		t.Fatalf("release = %s (%s)", got.Status, got.Reason)
	}
	w.alarms["orders-5xx"] = alarms.StateAlarm
	ctx := context.Background()
	before, _, err := w.store.ListReleases(ctx, "orders", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Restore(ctx, control.RestoreRequest{Pipeline: "orders", Version: "7", Actor: "bob"}); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("Restore(never known-good 7) = %v, want ErrInvalid", err)
	}
	if _, err := w.svc.Restore(ctx, control.RestoreRequest{Pipeline: "orders", Targets: []string{"nope"}, Actor: "bob"}); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("Restore(unknown target) = %v, want ErrInvalid", err)
	}
	if after, _, _ := w.store.ListReleases(ctx, "orders", 100, ""); len(after) != len(before) {
		t.Errorf("refused restores stored %d releases", len(after)-len(before))
	}
	rr, err := w.svc.Restore(ctx, control.RestoreRequest{Pipeline: "orders", Version: "1", Actor: "bob", Reason: "v2 leaks memory", Key: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Status != release.StatusSucceeded || rr.Trigger.Kind != release.TriggerRestore {
		t.Errorf("restore release = %s %s (%s), want a SUCCEEDED restore", rr.Trigger.Kind, rr.Status, rr.Reason)
	}
	if again, err := w.svc.Restore(ctx, control.RestoreRequest{Pipeline: "orders", Version: "1", Actor: "bob", Key: "k1"}); err != nil || again.ID != rr.ID {
		t.Errorf("Restore(same key) = %s, %v; want the same release %s", again.ID, err, rr.ID)
	}
	w.checkSafety(rr, map[string]string{"orders": "1"})
	evs := w.events(rr.ID)
	if len(evs) == 0 || !strings.Contains(evs[0].Message, "bob") || !strings.Contains(evs[0].Message, "leaks memory") {
		t.Errorf("restore log %s does not name the actor and reason", eventTypes(evs))
	}
	ts, err := w.store.GetTargetState(ctx, "lambda:orders:live")
	if err != nil || ts.KnownGood != "1" || !ts.Settled() {
		t.Errorf("target state = %+v, %v; want settled on known-good 1", ts, err)
	}
}

// TestPromoteSkipsTheBake: promote ends a 10-minute canary bake at once;
// its final alarm check still runs and the release succeeds.
func TestPromoteSkipsTheBake(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent30Minutes")
	var once sync.Once
	var perr error
	w.onBake = func(w *world, weight int) {
		if weight == 10 {
			once.Do(func() {
				_, perr = w.svc.Promote(context.Background(), control.PromoteRequest{ReleaseID: w.bakingRelease, Actor: "carol", Reason: "looks fine"})
			})
		}
	}
	start := w.clock.Now()
	r, x := w.start("v2", "push:orders:main:promote")
	w.wait(x)
	if perr != nil {
		t.Fatalf("Promote: %v", perr)
	}
	if got := w.releaseOf(r.ID); got.Status != release.StatusSucceeded {
		t.Errorf("release = %s (%s), want SUCCEEDED", got.Status, got.Reason)
	}
	// The canary's 30 minutes were skipped; the final 10-minute bake was not.
	if took := w.clock.Now().Sub(start); took >= 30*time.Minute {
		t.Errorf("release took %s of virtual time, want the canary bake skipped", took)
	}
	skipped := false
	for _, ev := range eventsOfType(w.events(r.ID), release.EventPromoted) {
		skipped = skipped || strings.Contains(ev.Message, "promoted by carol")
	}
	if !skipped {
		t.Errorf("no note that carol skipped the bake: %s", eventTypes(w.events(r.ID)))
	}
	if _, err := w.svc.Promote(context.Background(), control.PromoteRequest{ReleaseID: r.ID, Actor: "carol"}); !errors.Is(err, release.ErrConflict) {
		t.Errorf("Promote(ended) = %v, want ErrConflict", err)
	}
	w.checkSafety(r, map[string]string{"orders": "2"})
}

// TestAlarmBetweenBakesIsNotMissed: while the canary holds partial traffic
// there is always a watch on its alarms, also between a bake's end and
// the next one's start: an alarm then is recorded by alarmwatch and the
// target's next task fails with AlarmTriggered.
func TestAlarmBetweenBakesIsNotMissed(t *testing.T) {
	w := newWorld(t, "QUEUED", "Linear10PercentEvery1Minute")
	ctx := context.Background()
	r, _, err := w.store.CreateRelease(ctx, release.Release{Pipeline: "orders", SpecVersion: 1, Version: "v2",
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: "push:orders:main:between", Time: w.clock.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.TransitionRelease(ctx, r.ID, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	task := control.TargetTask{ReleaseID: r.ID, Pipeline: "orders", Stage: "prod", Wave: "one-box",
		Target: release.Target{Name: "lambda:orders:live", Type: release.TargetLambdaAlias, Function: "orders", Alias: "live"}}
	alarmed := []string{"orders-5xx"}
	if _, err := w.svc.Lock(ctx, control.LockInput{TargetTask: task, LeaseSeconds: 3600}); err != nil {
		t.Fatal(err)
	}
	split, err := w.svc.Prepare(ctx, control.PrepareInput{TargetTask: task, Artifact: "v2", Alarms: alarmed})
	if err != nil {
		t.Fatal(err)
	}
	step := control.StepTask{TargetTask: task, Split: split, Step: control.StepInput{Weight: 10, BakeSeconds: 60}, Alarms: alarmed}
	if _, err := w.svc.ShiftStep(ctx, control.ShiftInput{StepTask: step, LeaseSeconds: 3600}); err != nil {
		t.Fatal(err)
	}
	// No bake registered yet: only the watch.
	res, err := w.svc.AlarmChanged(ctx, alarms.Change{Alarm: "orders-5xx", State: alarms.StateAlarm, Reason: "5xx above 1%"})
	if err != nil || len(res.Failed) != 1 {
		t.Fatalf("alarmwatch = %+v, %v; want the watched target", res, err)
	}
	w.mu.Lock()
	w.alarms["orders-5xx"] = alarms.StateOK // it flapped back before the next task
	w.mu.Unlock()
	var named *control.AlarmTriggered
	if _, err := w.svc.RegisterBake(ctx, control.BakeInput{StepTask: step, Token: "tok-1", Seconds: 60}); !errors.As(err, &named) {
		t.Errorf("next bake registration = %v, want AlarmTriggered", err)
	}
}

// TestUndoAnEndedRelease: undo of a release that succeeded puts every
// target it promoted back on the version it replaced, once.
func TestUndoAnEndedRelease(t *testing.T) {
	w := newWorldSpec(t, prodWaves("QUEUED", "rollbackWave", ""))
	w.svc.Creator = w.store
	r, x := w.start("v2", "push:orders:main:undo")
	w.wait(x)
	if got := w.releaseOf(r.ID); got.Status != release.StatusSucceeded {
		t.Fatalf("release = %s (%s)", got.Status, got.Reason)
	}
	ctx := context.Background()
	u, err := w.svc.Undo(ctx, control.UndoRequest{ReleaseID: r.ID, Actor: "dave", Reason: "bad release"})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == r.ID || u.Status != release.StatusSucceeded || u.Trigger.Kind != release.TriggerRestore {
		t.Errorf("undo = %s %s %s, want a SUCCEEDED restore release of its own", u.ID, u.Trigger.Kind, u.Status)
	}
	w.checkSafety(u, map[string]string{"orders": "1", "orders-eu": "1"})
	if again, err := w.svc.Undo(ctx, control.UndoRequest{ReleaseID: r.ID, Actor: "dave"}); err != nil || again.ID != u.ID {
		t.Errorf("second undo = %s, %v; want the same restore %s", again.ID, err, u.ID)
	}
}

// stepsSpec is a one-target pipeline with an explicit step plan.
func stepsSpec(steps string) string {
	return fmt.Sprintf(`apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: QUEUED
alarms: [orders-5xx]
stages:
  - name: prod
    waves:
      - name: one-box
        targets: [{ type: lambdaAlias, function: orders, alias: live }]
        deployment:
          steps:
%s
        bake: 10m
`, steps)
}

// TestPauseStepWaitsForPromote: a pause step holds its weight, watched,
// through several holds (each renews the lease) until a person promotes.
func TestPauseStepWaitsForPromote(t *testing.T) {
	w := newWorldSpec(t, stepsSpec("            - { weight: 20, pause: {} }\n            - { weight: 100 }"))
	holds := 0
	var once sync.Once
	var perr error
	w.onBake = func(w *world, weight int) {
		if weight != 20 {
			return
		}
		holds++
		if holds == 3 {
			once.Do(func() {
				_, perr = w.svc.Promote(context.Background(), control.PromoteRequest{ReleaseID: w.bakingRelease, Actor: "erin"})
			})
		}
	}
	start := w.clock.Now()
	r, x := w.start("v2", "push:orders:main:pause")
	w.wait(x)
	if perr != nil {
		t.Fatalf("Promote: %v", perr)
	}
	if got := w.releaseOf(r.ID); got.Status != release.StatusSucceeded {
		t.Errorf("release = %s (%s), want SUCCEEDED", got.Status, got.Reason)
	}
	if holds < 3 || w.clock.Now().Sub(start) < time.Hour {
		t.Errorf("held %d times over %s, want the pause to outlast several holds", holds, w.clock.Now().Sub(start))
	}
	if n := len(eventsOfType(w.events(r.ID), release.EventPromoted)); n != 1 {
		t.Errorf("%d Promoted events, want 1", n)
	}
	w.checkSafety(r, map[string]string{"orders": "2"})
}

// canarySource is a metric source whose canary is slower than its
// baseline by factor (1 = the same).
type canarySource struct{ factor float64 }

func (c canarySource) Samples(_ context.Context, q analysis.Query) ([]float64, []float64, error) {
	var canary, baseline []float64
	for i := range 400 {
		v := 50 + float64(i%37)
		if q.Metric == analysis.MetricErrors {
			v = 0
		}
		baseline = append(baseline, v)
		if i%4 == 0 {
			canary = append(canary, v*c.factor)
		}
	}
	return canary, baseline, nil
}

// TestAnalysisJudgesTheCanary: a step's analysis rolls back a canary 50%
// slower than its baseline, and lets the same candidate through when it
// is not slower.
func TestAnalysisJudgesTheCanary(t *testing.T) {
	for _, tc := range []struct {
		name   string
		factor float64
		want   release.Status
		alias  string
	}{
		{"slower canary", 1.5, release.StatusRolledBack, "1"},
		{"same as baseline", 1, release.StatusSucceeded, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorldSpec(t, stepsSpec("            - weight: 10\n              bake: 5m\n              analysis: { metrics: [{ name: latency, effect: 10% }] }\n            - { weight: 100 }"))
			w.svc.Analysis = func(release.Target) (analysis.Source, error) { return canarySource{tc.factor}, nil }
			r, x := w.start("v2", "push:orders:main:analysis-"+strings.ReplaceAll(tc.name, " ", "-"))
			w.wait(x)
			got := w.releaseOf(r.ID)
			if got.Status != tc.want {
				t.Errorf("release = %s (%s), want %s", got.Status, got.Reason, tc.want)
			}
			judged := eventsOfType(w.events(r.ID), release.EventAnalysis)
			if len(judged) != 1 || len(judged[0].Data) == 0 {
				t.Errorf("AnalysisJudged events = %+v, want one with its data", judged)
			}
			w.checkSafety(r, map[string]string{"orders": tc.alias})
		})
	}
}

// TestRefusedApprovalsKeepTheLogReadable: a stream of decisions by someone
// who may not approve is refused every time, but logged once.
func TestRefusedApprovalsKeepTheLogReadable(t *testing.T) {
	w := newWorldSpec(t, withApproval)
	w.onApproval = func(w *world, releaseID string) {
		for range 5 {
			err := w.svc.Decide(context.Background(), control.Decision{ReleaseID: releaseID, Actor: strings.Repeat("m", 500), Approve: true})
			if !errors.Is(err, release.ErrUnauthorized) {
				t.Errorf("decision by a non-approver = %v, want ErrUnauthorized", err)
			}
		}
		if err := w.svc.Decide(context.Background(), control.Decision{ReleaseID: releaseID, Actor: "alice", Approve: true}); err != nil {
			t.Errorf("approval by alice: %v", err)
		}
	}
	r, x := w.start("v2", "push:orders:main:refusals")
	w.wait(x)
	var refusals []release.Event
	for _, ev := range eventsOfType(w.events(r.ID), release.EventNote) {
		if strings.HasPrefix(ev.Message, "refused: ") {
			refusals = append(refusals, ev)
		}
	}
	if len(refusals) != 1 {
		t.Errorf("refusal notes = %d, want one", len(refusals))
	} else if n := len(refusals[0].Message); n > 300 {
		t.Errorf("refusal note is %d bytes, want it bounded", n)
	}
	if got := w.releaseOf(r.ID); got.Status != release.StatusSucceeded {
		t.Errorf("release = %s (%s), want SUCCEEDED", got.Status, got.Reason)
	}
}
