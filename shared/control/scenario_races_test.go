package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/traffic"
)

// racingShifter runs race, once, inside the first shift to a partial
// weight, just before that shift is applied: whatever race does lands
// while the shift is in flight.
type racingShifter struct {
	control.Shifter
	once sync.Once
	race func()
}

func (r *racingShifter) Shift(ctx context.Context, t release.Target, s traffic.Split) error {
	if s.Weight > 0 && s.Weight < 100 {
		r.once.Do(r.race)
	}
	// The request is already on the wire: a caller that gives up now
	// does not take it back.
	return r.Shifter.Shift(context.WithoutCancel(ctx), t, s)
}

// racingStore runs race, once, just before the first write of a target
// state that shifts partial traffic: whatever race does lands between the
// shift's read of the target and its write.
type racingStore struct {
	control.Store
	once sync.Once
	race func()
}

func (r *racingStore) before(ts release.TargetState) {
	if ts.Phase == release.PhaseShifting && ts.Weight > 0 && ts.Weight < 100 {
		r.once.Do(r.race)
	}
}

func (r *racingStore) SwapTargetState(ctx context.Context, prev, next release.TargetState) error {
	r.before(next)
	return r.Store.SwapTargetState(ctx, prev, next)
}

// TestStaleShiftNeverOutlivesARestore: a shift is in flight when the
// release is ended and its target restored underneath it — reconcile ran
// because Step Functions reported the execution stopped, while the shift's
// Lambda invocation was still running (Step Functions does not stop a
// running invocation). The stale shift lands after the restore, or is
// refused before it; either way the target ends with 100% of its traffic
// on the known-good version, and the log says what happened.
func TestStaleShiftNeverOutlivesARestore(t *testing.T) {
	for _, tc := range []struct {
		name string
		// wire puts race where the stale shift meets the restore.
		wire func(w *world, race func())
	}{
		{"restore before the shift's traffic write", func(w *world, race func()) {
			inner, _ := w.svc.Shifters(release.Target{Type: release.TargetLambdaAlias})
			sh := &racingShifter{Shifter: inner, race: race}
			w.svc.Shifters = func(release.Target) (control.Shifter, error) { return sh, nil }
		}},
		{"restore before the shift's record", func(w *world, race func()) {
			w.svc.Store = &racingStore{Store: w.svc.Store, race: race}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
			tc.wire(w, func() {
				// The release that prepared the target is the one shifting.
				ts, err := w.store.GetTargetState(context.Background(), "lambda:orders:live")
				if err != nil {
					t.Errorf("read the target being shifted: %v", err)
					return
				}
				if _, err := w.svc.EndOrphan(context.Background(), ts.ReleaseID, "execution ABORTED: stopped by an operator"); err != nil {
					t.Errorf("end the release underneath its shift: %v", err)
				}
			})
			r, x := w.start("v2", "push:orders:main:stale-shift")
			w.wait(x)
			w.checkSafety(r, map[string]string{"orders": "1"})
			if got := w.releaseOf(r.ID).Status; got == release.StatusSucceeded {
				t.Errorf("release ended %s; it was ended by reconcile and must not succeed", got)
			}
		})
	}
}

// stoppingLog stops the execution (through stop) when the event log gets
// an event of type at, once: the control plane dies right after it.
type stoppingLog struct {
	control.Store
	at   release.EventType
	wave string
	once sync.Once
	stop func()
}

func (s *stoppingLog) AppendEvent(ctx context.Context, ev release.Event) (release.Event, error) {
	out, err := s.Store.AppendEvent(ctx, ev)
	if err == nil && ev.Type == s.at && ev.Wave == s.wave {
		s.once.Do(s.stop)
	}
	return out, err
}

// TestCrashBetweenWavesHonoursOnFailure: the control plane dies right
// after a wave (or a whole stage) succeeded, before the next starts. The
// simulation found the wave case: reconcile kept the promoted wave and
// ended the release FAILED, its version then known-good, under
// rollbackAllWaves. Between waves nothing is in flight, so rollbackWave
// keeps what succeeded, and rollbackAllWaves restores every target the
// release touched, earlier stages too.
func TestCrashBetweenWavesHonoursOnFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spec      func(onFailure string) string
		at        release.EventType
		wave      string
		onFailure string
		want      map[string]string
		status    release.Status
	}{
		{"waves/rollbackAllWaves", func(f string) string { return prodWaves("QUEUED", f, "") }, release.EventWaveSucceeded, "one-box",
			"rollbackAllWaves", map[string]string{"orders": "1", "orders-eu": "1"}, release.StatusRolledBack},
		{"waves/rollbackWave", func(f string) string { return prodWaves("QUEUED", f, "") }, release.EventWaveSucceeded, "one-box",
			"rollbackWave", map[string]string{"orders": "2", "orders-eu": "1"}, release.StatusFailed},
		{"stages/rollbackAllWaves", twoStages, release.EventStageSucceeded, "",
			"rollbackAllWaves", map[string]string{"orders": "1", "orders-eu": "1"}, release.StatusRolledBack},
		{"stages/rollbackWave", twoStages, release.EventStageSucceeded, "",
			"rollbackWave", map[string]string{"orders": "2", "orders-eu": "1"}, release.StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorldSpec(t, tc.spec(tc.onFailure))
			ref := newExecRef()
			w.svc.Store = &stoppingLog{Store: w.svc.Store, at: tc.at, wave: tc.wave,
				stop: func() { go ref.get().Stop("States.Aborted", "the control plane died") }}
			r, x := w.start("v2", "push:orders:main:crash-between-"+tc.name)
			ref.set(x)
			if res := w.wait(x); res.Status != states.StatusAborted {
				t.Fatalf("release execution = %s, want ABORTED", res.Status)
			}
			input, _ := json.Marshal(map[string]string{"releaseId": r.ID})
			if _, err := w.svc.Reconcile(context.Background(), control.ExecutionChange{Name: r.ID, Status: "ABORTED", Input: string(input)}); err != nil {
				t.Fatalf("reconcile: %v", err)
			}
			if got := w.releaseOf(r.ID); got.Status != tc.status {
				t.Errorf("release = %s (%s), want %s; events %s", got.Status, got.Reason, tc.status, eventTypes(w.events(r.ID)))
			}
			w.checkSafety(r, tc.want)
		})
	}
}

// twoStages is a pipeline whose beta stage must pass before prod runs.
func twoStages(onFailure string) string {
	return fmt.Sprintf(`apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: QUEUED
onFailure: %s
alarms: [orders-5xx]
stages:
  - name: beta
    targets: [{ type: lambdaAlias, function: orders, alias: live }]
    deployment: Canary10Percent5Minutes
    bake: 10m
  - name: prod
    targets: [{ type: lambdaAlias, function: orders-eu, alias: live }]
    deployment: Canary10Percent5Minutes
    bake: 10m
`, onFailure)
}
