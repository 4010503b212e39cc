package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// TestCheck feeds the checker hand-made histories: each breaks (or keeps)
// one invariant, so the checker is shown to find what it claims to.
func TestCheck(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	const tgt = "local:svc1"
	base := func() *History {
		sc := &Scenario{Start: t0, Initial: "v0", Targets: []TargetSpec{{Name: tgt, Stage: "beta", Wave: "w1", Alarms: []string{"svc1-5xx"}}},
			Releases: []ReleaseSpec{{Version: "v1", Commit: "c1", Deliveries: 1}}}
		p := release.Pipeline{Name: "sim", OnFailure: release.FailureRollbackWave, Stages: []release.Stage{{Name: "beta",
			Waves: []release.Wave{{Name: "w1", Targets: []release.Target{{Type: release.TargetLocal, Name: tgt}}}}}}}
		return &History{
			Scenario: sc, Pipeline: p, IDs: []string{"R1"}, commits: map[string]string{"c1": "R1"},
			Releases: map[string]release.Release{"R1": {ID: "R1", Version: "c1", Status: release.StatusSucceeded}},
			Events: map[string][]release.Event{"R1": {
				{Seq: 1, Time: at(0), Type: release.EventCreated},
				{Seq: 2, Time: at(0), Type: release.EventStarted},
				{Seq: 3, Time: at(0), Type: release.EventLockAcquired, Target: tgt},
				{Seq: 4, Time: at(time.Minute), Type: release.EventTargetPromoted, Target: tgt},
				{Seq: 5, Time: at(time.Minute), Type: release.EventLockReleased, Target: tgt},
				{Seq: 6, Time: at(time.Minute), Type: release.EventReleaseSucceeded},
			}},
			shifts:     []shiftRec{{At: at(0), Target: tgt, From: traffic.Split{Stable: "v0"}, To: traffic.Split{Stable: "v0", Candidate: "c1", Weight: 100}}},
			promotions: []promoRec{{At: at(time.Minute), Target: tgt, Version: "c1"}},
			attempts:   []attempt{{Release: "R1", Target: tgt}},
			final:      map[string]traffic.Split{tgt: {Stable: "c1"}},
			serving:    map[string]error{},
			endAt:      map[string]time.Time{"R1": at(time.Minute)},
			rejected:   map[string]bool{},
		}
	}
	rolledBack := func(h *History) {
		r := h.Releases["R1"]
		r.Status = release.StatusRolledBack
		h.Releases["R1"] = r
		h.promotions = nil
		h.Events["R1"][3] = release.Event{Seq: 4, Time: at(time.Minute), Type: release.EventRolledBack, Target: tgt}
		h.Events["R1"][5] = release.Event{Seq: 6, Time: at(time.Minute), Type: release.EventReleaseRolledBack}
	}
	tests := []struct {
		name   string
		change func(h *History)
		want   []Invariant // nil: no violation
	}{
		{name: "a clean successful release", change: func(*History) {}},
		{name: "partial traffic left", want: []Invariant{InvFinalKnownGood}, change: func(h *History) {
			h.final[tgt] = traffic.Split{Stable: "v0", Candidate: "c1", Weight: 30}
		}},
		{name: "rolled back but left on the candidate", want: []Invariant{InvFinalKnownGood, InvExactOutcome}, change: rolledBack},
		{name: "rolled back onto the initial version", change: func(h *History) {
			rolledBack(h)
			h.shifts = append(h.shifts, shiftRec{At: at(time.Minute), Target: tgt, From: traffic.Split{Stable: "c1"}, To: traffic.Split{Stable: "v0", Candidate: "c1"}})
			h.restores = h.shifts[1:]
			h.final[tgt] = traffic.Split{Stable: "v0"}
		}},
		{name: "restored onto a version that is not serving", want: []Invariant{InvFinalServing}, change: func(h *History) {
			rolledBack(h)
			h.shifts = append(h.shifts, shiftRec{At: at(time.Minute), Target: tgt, From: traffic.Split{Stable: "c1"}, To: traffic.Split{Stable: "v0", Candidate: "c1"}})
			h.restores = h.shifts[1:]
			h.final[tgt] = traffic.Split{Stable: "v0"}
			h.serving[tgt] = errCrashed
		}},
		{name: "... but not one that crashed only after the release had ended", change: func(h *History) {
			rolledBack(h)
			h.shifts = append(h.shifts, shiftRec{At: at(time.Minute), Target: tgt, From: traffic.Split{Stable: "c1"}, To: traffic.Split{Stable: "v0", Candidate: "c1"}})
			h.restores = h.shifts[1:]
			h.final[tgt] = traffic.Split{Stable: "v0"}
			h.serving[tgt] = errCrashed
			h.endAt = map[string]time.Time{"R1": at(2 * time.Minute)}
			h.crashedAt = map[string]time.Time{tgt: at(time.Hour)}
		}},
		{name: "... unless the release says it needs attention on that target", change: func(h *History) {
			rolledBack(h)
			r := h.Releases["R1"]
			r.Status, r.Reason = release.StatusNeedsAttention, "cannot restore "+tgt+": its known-good version v0 is not serving"
			h.Releases["R1"] = r
			h.Events["R1"][5].Type = release.EventReleaseNeedsAttention
			h.shifts = append(h.shifts, shiftRec{At: at(time.Minute), Target: tgt, From: traffic.Split{Stable: "c1"}, To: traffic.Split{Stable: "v0", Candidate: "c1"}})
			h.restores = h.shifts[1:]
			h.final[tgt] = traffic.Split{Stable: "v0"}
			h.serving[tgt] = errCrashed
		}},
		{name: "restored onto an in-flight release's candidate", want: []Invariant{InvRestoreKnownGood}, change: func(h *History) {
			h.restores = []shiftRec{{At: at(30 * time.Second), Target: tgt, To: traffic.Split{Stable: "c1", Candidate: "c2"}}}
		}},
		{name: "ROLLED_BACK although nothing moved", want: []Invariant{InvExactOutcome}, change: func(h *History) {
			rolledBack(h)
			h.shifts = nil
		}},
		{name: "a gap in the log", want: []Invariant{InvLogGapFree}, change: func(h *History) { h.Events["R1"][4].Seq = 9 }},
		{name: "time going backwards", want: []Invariant{InvLogMonotonic}, change: func(h *History) { h.Events["R1"][4].Time = at(0) }},
		{name: "a second LockReleased", want: []Invariant{InvLogLockPairs}, change: func(h *History) {
			h.Events["R1"] = slices.Insert(h.Events["R1"], 5, release.Event{Seq: 6, Time: at(time.Minute), Type: release.EventLockReleased, Target: tgt})
			for i := range h.Events["R1"] {
				h.Events["R1"][i].Seq = int64(i + 1)
			}
		}},
		{name: "two ending events", want: []Invariant{InvLogOneFact, InvLogTruthful}, change: func(h *History) {
			h.Events["R1"] = append(h.Events["R1"], release.Event{Seq: 7, Time: at(time.Minute), Type: release.EventReleaseFailed})
		}},
		{name: "a cancelled release logged as failed", want: []Invariant{InvLogTruthful}, change: func(h *History) {
			r := h.Releases["R1"]
			r.Status = release.StatusCancelled
			h.Releases["R1"] = r
			h.Events["R1"][5].Type = release.EventReleaseFailed
		}},
		{name: "a rejection nobody made", want: []Invariant{InvLogTruthful}, change: func(h *History) {
			h.Events["R1"] = slices.Insert(h.Events["R1"], 2, release.Event{Seq: 3, Time: at(0), Type: release.EventRejected, Stage: "beta"})
			for i := range h.Events["R1"] {
				h.Events["R1"][i].Seq = int64(i + 1)
			}
		}},
		{name: "a release still running (so its promotion is not yet known-good)", want: []Invariant{InvTerminal, InvFinalKnownGood}, change: func(h *History) {
			r := h.Releases["R1"]
			r.Status = release.StatusInProgress
			h.Releases["R1"] = r
			h.Events["R1"] = h.Events["R1"][:5]
		}},
		{name: "one push, two releases (the second promoted nothing)", want: []Invariant{InvTriggerOnce, InvExactOutcome}, change: func(h *History) {
			h.Releases["R2"] = release.Release{ID: "R2", Version: "c1", Status: release.StatusSucceeded}
			h.Events["R2"] = []release.Event{{Seq: 1, Time: at(0), Type: release.EventCreated}, {Seq: 2, Time: at(0), Type: release.EventReleaseSucceeded}}
		}},
		{name: "a history that did not end", want: []Invariant{InvHistoryEnds}, change: func(h *History) { h.Stuck = "reached the horizon" }},
		{name: "sampled violations are reported", want: []Invariant{InvNoUnwatchedPartial}, change: func(h *History) {
			h.violations = []Violation{{Invariant: InvNoUnwatchedPartial, Release: "R1", Target: tgt}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := base()
			tc.change(h)
			var got []Invariant
			for _, v := range Check(h) {
				if !slices.Contains(got, v.Invariant) {
					got = append(got, v.Invariant)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("violated %v, want %v\n%v", got, want, Check(h))
			}
		})
	}
}
