package sim

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Invariant names one checked property (DESIGN.md §6 in brackets). Tests
// take -sim.skip=name,name to ignore some while they are being fixed.
type Invariant string

// The invariants.
const (
	// InvFinalKnownGood: when the history is over, every target a release
	// touched serves 100% of its traffic on a known-good version, or the
	// release that touched it last is NEEDS_ATTENTION naming it [§6.1, §6.2].
	InvFinalKnownGood Invariant = "final-traffic-known-good"
	// InvFinalServing: a target whose traffic was last moved by a restore
	// ends on a version that is alive and serving, unless that release is
	// NEEDS_ATTENTION naming it [§6.1].
	InvFinalServing Invariant = "final-traffic-serving"
	// InvRestoreKnownGood: every restore moves traffic onto a version that
	// was known-good at that moment — never another in-flight release's
	// candidate [§6.2].
	InvRestoreKnownGood Invariant = "restore-onto-known-good"
	// InvNoUnwatchedPartial: while a candidate holds between 0 and 100%,
	// a bake of its release watches the target's alarms and that
	// release's lease on the target is live, except while a restore of the
	// target is being retried [§6.4].
	InvNoUnwatchedPartial Invariant = "no-unwatched-partial"
	// InvLockExclusive: traffic on a target is moved only by the release
	// holding its live lock [§6.6].
	InvLockExclusive Invariant = "lock-exclusive"
	// InvShiftGated: traffic moves toward a candidate only after its
	// pre-traffic hook passed and inside the deploy window [§6.7].
	InvShiftGated Invariant = "shift-gated"
	// InvLogGapFree: a release's event sequence is 1, 2, 3 … [§6.10].
	InvLogGapFree Invariant = "log-gap-free"
	// InvLogMonotonic: event time never goes backwards against seq [§6.10].
	InvLogMonotonic Invariant = "log-monotonic"
	// InvLogLockPairs: each LockAcquired is followed by exactly one
	// LockReleased for that target, and there is no other [§6.10].
	InvLogLockPairs Invariant = "log-one-lock-release"
	// InvLogOneFact: one event per fact: one ReleaseCreated, at most one
	// ReleaseStarted, exactly one ending event, at most one Approved and
	// Rejected per stage, at most one RollbackStarted and TargetPromoted per
	// target [§6.10].
	InvLogOneFact Invariant = "log-one-event-per-fact"
	// InvLogTruthful: the ending event agrees with the status (no
	// ReleaseFailed for SUPERSEDED or CANCELLED), and Rejected appears only
	// when a person rejected [§6.10].
	InvLogTruthful Invariant = "log-truthful"
	// InvTerminal: every release has ended when the history is over [§6.1].
	InvTerminal Invariant = "release-terminal"
	// InvExactOutcome: the status names what happened: nothing moved ⇒ not
	// ROLLED_BACK; ROLLED_BACK ⇒ the release itself took its traffic back;
	// SUCCEEDED ⇒ every target promoted [§6.10].
	InvExactOutcome Invariant = "outcome-exact"
	// InvTriggerOnce: a push delivered N times created one release [§6.5].
	InvTriggerOnce Invariant = "trigger-once"
	// InvHistoryEnds: the history ended on its own, within the horizon
	// and the wall-clock budget.
	InvHistoryEnds Invariant = "history-ends"
)

// Invariants lists every invariant, in report order.
var Invariants = []Invariant{
	InvFinalKnownGood, InvFinalServing, InvRestoreKnownGood, InvNoUnwatchedPartial, InvLockExclusive, InvShiftGated,
	InvLogGapFree, InvLogMonotonic, InvLogLockPairs, InvLogOneFact, InvLogTruthful, InvTerminal, InvExactOutcome,
	InvTriggerOnce, InvHistoryEnds,
}

// Violation is one broken invariant.
type Violation struct {
	Invariant Invariant
	Release   string // release id, if one is to blame
	Target    string
	Detail    string
}

func (v Violation) String() string {
	s := string(v.Invariant) + ":"
	if v.Release != "" {
		s += " release " + v.Release
	}
	if v.Target != "" {
		s += " target " + v.Target
	}
	return s + ": " + v.Detail
}

// Check judges a history against every invariant. Known-good versions come
// from the harness's books (the world saw the traffic; a release's
// Finalize returned), not from the store's target state.
func Check(h *History) []Violation {
	c := &checker{h: h, byCommit: map[string]int{}}
	for i, r := range h.Scenario.Releases {
		c.byCommit[r.Commit] = i
	}
	out := append([]Violation(nil), h.violations...)
	if h.Stuck != "" {
		out = append(out, Violation{Invariant: InvHistoryEnds, Detail: h.Stuck})
	}
	out = append(out, c.finalTraffic()...)
	out = append(out, c.restores()...)
	for _, id := range c.ids() {
		out = append(out, c.outcome(id)...)
		out = append(out, c.log(id)...)
	}
	out = append(out, c.triggers()...)
	return out
}

type checker struct {
	h        *History
	byCommit map[string]int
}

func (c *checker) ids() []string {
	ids := make([]string, 0, len(c.h.Releases))
	for id := range c.h.Releases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// releaseOf is the id of the release whose version is v ("" for none).
func (c *checker) releaseOf(v string) string { return c.h.commits[v] }

func (c *checker) status(id string) release.Status { return c.h.Releases[id].Status }

// waveKey names a target's stage and wave.
func (c *checker) waveKey(target string) string {
	for _, t := range c.h.Scenario.Targets {
		if t.Name == target {
			return t.Stage + "/" + t.Wave
		}
	}
	return ""
}

func (c *checker) wave(key string) *release.Wave {
	stage, wave, _ := strings.Cut(key, "/")
	for si := range c.h.Pipeline.Stages {
		st := &c.h.Pipeline.Stages[si]
		for wi := range st.Waves {
			if st.Name == stage && st.Waves[wi].Name == wave {
				return &st.Waves[wi]
			}
		}
	}
	return nil
}

// moved lists the targets release id shifted traffic onto its candidate on.
func (c *checker) moved(id string) []string {
	var out []string
	for _, s := range c.h.shifts {
		if s.To.Weight > 0 && c.releaseOf(s.To.Candidate) == id && !slices.Contains(out, s.Target) {
			out = append(out, s.Target)
		}
	}
	return out
}

func (c *checker) promoted(id, target string) bool {
	for _, p := range c.h.promotions {
		if p.Target == target && c.releaseOf(p.Version) == id {
			return true
		}
	}
	return false
}

// failingWaves are the waves where the release began deploying a target
// (its Lock task ran) but did not promote every target.
func (c *checker) failingWaves(id string) []string {
	var out []string
	var begun []string
	for _, a := range c.h.attempts {
		if a.Release == id {
			begun = append(begun, a.Target)
		}
	}
	for _, t := range begun {
		key := c.waveKey(t)
		if slices.Contains(out, key) {
			continue
		}
		for _, ts := range c.h.Scenario.Targets {
			if c.waveKey(ts.Name) == key && !c.promoted(id, ts.Name) {
				out = append(out, key)
				break
			}
		}
	}
	return out
}

// rollbackAll reports whether the release's failure must restore every
// wave it promoted (onFailure: rollbackAllWaves for its failing wave, or
// for the pipeline when no wave was failing).
func (c *checker) rollbackAll(id string) bool {
	fw := c.failingWaves(id)
	if len(fw) == 0 {
		return c.h.Pipeline.OnFailure == release.FailureRollbackAllWaves
	}
	for _, key := range fw {
		mode := c.h.Pipeline.OnFailure
		if w := c.wave(key); w != nil && w.OnFailure != "" {
			mode = w.OnFailure
		}
		if mode == release.FailureRollbackAllWaves {
			return true
		}
	}
	return false
}

// stands reports whether release id's promotion of target survives the
// release's end: always when it SUCCEEDED; after a failure, unless the
// target's wave was failing or onFailure asks to roll back every wave. A
// rejected approval or a supersession keeps earlier waves.
func (c *checker) stands(id, target string) bool {
	st := c.status(id)
	switch {
	case st == release.StatusSucceeded:
		return true
	case !st.Terminal() && st != "NEEDS_ATTENTION":
		return false // still in flight
	case (st == release.StatusRolledBack || st == release.StatusFailed || st == "NEEDS_ATTENTION") && c.rollbackAll(id):
		return false
	}
	return !slices.Contains(c.failingWaves(id), c.waveKey(target))
}

// knownGood lists target's known-good versions at time at: the initial
// version, and every version a release promoted there before at, if that
// release had ended by at and its promotion stands.
func (c *checker) knownGood(target string, at time.Time) []string {
	good := []string{c.h.Scenario.Initial}
	for _, p := range c.h.promotions {
		id := c.releaseOf(p.Version)
		end, ended := c.h.endAt[id]
		if p.Target == target && !p.At.After(at) && ended && !end.After(at) && c.stands(id, target) {
			good = append(good, p.Version)
		}
	}
	return good
}

// lastMover is the release whose candidate the last shift on target named.
func (c *checker) lastShift(target string) (shiftRec, bool) {
	for i := len(c.h.shifts) - 1; i >= 0; i-- {
		if c.h.shifts[i].Target == target {
			return c.h.shifts[i], true
		}
	}
	return shiftRec{}, false
}

// needsAttention reports whether the release ended saying a person must
// look at target.
func (c *checker) needsAttention(id, target string) bool {
	r := c.h.Releases[id]
	if r.Status == "NEEDS_ATTENTION" || r.Status == release.StatusFailed && strings.Contains(r.Reason, target) {
		return true
	}
	// A break-glass restore that moved the target last says so itself.
	for _, o := range c.h.Releases {
		if o.Trigger.Kind == release.TriggerRestore && o.Status == release.StatusNeedsAttention && strings.Contains(o.Reason, target) {
			return true
		}
	}
	return false
}

func (c *checker) finalTraffic() []Violation {
	var out []Violation
	never := time.Unix(1<<40, 0)
	for _, ts := range c.h.Scenario.Targets {
		last, touched := c.lastShift(ts.Name)
		if !touched {
			continue
		}
		id := c.releaseOf(last.To.Candidate)
		s := c.h.final[ts.Name]
		v := liveVersion(s)
		if v == "" {
			if c.needsAttention(id, ts.Name) {
				continue // the release said loudly that it could not restore it
			}
			out = append(out, Violation{Invariant: InvFinalKnownGood, Release: id, Target: ts.Name,
				Detail: fmt.Sprintf("left split %s", c.split(s))})
			continue
		}
		good := c.knownGood(ts.Name, never)
		if !slices.Contains(good, v) && !c.needsAttention(id, ts.Name) {
			out = append(out, Violation{Invariant: InvFinalKnownGood, Release: id, Target: ts.Name,
				Detail: fmt.Sprintf("ends on %s, which is not known-good (known-good: %s); its last mover is %s (%s)",
					c.name(v), c.names(good), id, c.status(id))})
		}
		if last.To.Weight == 0 && c.h.serving[ts.Name] != nil && !c.needsAttention(id, ts.Name) && !c.crashedAfterEnd(id, ts.Name) {
			out = append(out, Violation{Invariant: InvFinalServing, Release: id, Target: ts.Name,
				Detail: fmt.Sprintf("restored onto %s, which is not serving (%v), yet the release ended %s: %s", c.name(v), c.h.serving[ts.Name], c.status(id), c.h.Releases[id].Reason)})
		}
	}
	return out
}

// crashedAfterEnd reports whether target's live version crashed only after
// release id had ended: it was serving when the release said it restored
// it, and with no release in flight nothing could have reacted.
func (c *checker) crashedAfterEnd(id, target string) bool {
	at, end := c.h.crashedAt[target], c.h.endAt[id]
	return !at.IsZero() && !end.IsZero() && at.After(end)
}

func (c *checker) restores() []Violation {
	var out []Violation
	for _, r := range c.h.restores {
		good := c.knownGood(r.Target, r.At)
		if !slices.Contains(good, r.To.Stable) {
			owner := c.releaseOf(r.To.Stable)
			out = append(out, Violation{Invariant: InvRestoreKnownGood, Release: c.releaseOf(r.To.Candidate), Target: r.Target,
				Detail: fmt.Sprintf("at +%s restored onto %s, the candidate of release %s (%s then), not known-good (known-good: %s)",
					r.At.Sub(c.h.Scenario.Start), c.name(r.To.Stable), owner, c.statusAt(owner, r.At), c.names(good))})
		}
	}
	return out
}

func (c *checker) statusAt(id string, at time.Time) string {
	if end, ok := c.h.endAt[id]; ok && !end.After(at) {
		return "ended " + string(c.status(id))
	}
	return "in flight"
}

func (c *checker) outcome(id string) []Violation {
	r := c.h.Releases[id]
	var out []Violation
	bad := func(inv Invariant, target, format string, args ...any) {
		out = append(out, Violation{Invariant: inv, Release: id, Target: target, Detail: fmt.Sprintf(format, args...)})
	}
	if !r.Status.Terminal() {
		bad(InvTerminal, "", "release is still %s at the end", r.Status)
		return out
	}
	moved := c.moved(id)
	switch r.Status {
	case release.StatusRolledBack:
		if len(moved) == 0 {
			bad(InvExactOutcome, "", "ROLLED_BACK although none of its traffic moved (%s)", r.Reason)
		}
		for _, t := range moved {
			if !c.restoredBy(id, t) && !c.stands(id, t) {
				bad(InvExactOutcome, t, "ROLLED_BACK but the release never took its traffic on %s back (%s)", t, r.Reason)
			}
		}
	case release.StatusSucceeded:
		if r.Trigger.Kind == release.TriggerRestore {
			break // a break-glass restore promotes nothing; its restores are checked above
		}
		for _, ts := range c.h.Scenario.Targets {
			if !c.promoted(id, ts.Name) {
				bad(InvExactOutcome, ts.Name, "SUCCEEDED without promoting %s", ts.Name)
			}
		}
	}
	return out
}

func (c *checker) restoredBy(id, target string) bool {
	for _, r := range c.h.restores {
		if r.Target == target && c.releaseOf(r.To.Candidate) == id {
			return true
		}
	}
	return false
}

func (c *checker) log(id string) []Violation {
	r, evs := c.h.Releases[id], c.h.Events[id]
	var out []Violation
	bad := func(inv Invariant, target, format string, args ...any) {
		out = append(out, Violation{Invariant: inv, Release: id, Target: target, Detail: fmt.Sprintf(format, args...)})
	}
	held := map[string]bool{}
	count := map[string]int{}
	var ending []release.EventType
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			bad(InvLogGapFree, "", "event %d has seq %d", i+1, ev.Seq)
		}
		if i > 0 && ev.Time.Before(evs[i-1].Time) {
			bad(InvLogMonotonic, ev.Target, "event %d (%s) at %s is earlier than event %d (%s) at %s",
				ev.Seq, ev.Type, ev.Time.Format(time.RFC3339Nano), evs[i-1].Seq, evs[i-1].Type, evs[i-1].Time.Format(time.RFC3339Nano))
		}
		switch ev.Type {
		case release.EventLockAcquired:
			if held[ev.Target] {
				bad(InvLogLockPairs, ev.Target, "event %d: LockAcquired again before a LockReleased", ev.Seq)
			}
			held[ev.Target] = true
		case release.EventLockReleased:
			if !held[ev.Target] {
				bad(InvLogLockPairs, ev.Target, "event %d: LockReleased without a LockAcquired before it", ev.Seq)
			}
			held[ev.Target] = false
		case release.EventApproved, release.EventRejected:
			count[string(ev.Type)+" "+ev.Stage]++
		case release.EventRollbackStarted, release.EventTargetPromoted:
			count[string(ev.Type)+" "+ev.Target]++
		}
		count[string(ev.Type)]++
		if endingEvent(ev.Type) {
			ending = append(ending, ev.Type)
		}
	}
	for t, h := range held {
		if h && r.Status.Terminal() {
			bad(InvLogLockPairs, t, "LockAcquired never followed by a LockReleased")
		}
	}
	if n := count[string(release.EventCreated)]; n != 1 {
		bad(InvLogOneFact, "", "%d ReleaseCreated events", n)
	}
	if n := count[string(release.EventStarted)]; n > 1 {
		bad(InvLogOneFact, "", "%d ReleaseStarted events", n)
	}
	if r.Status.Terminal() && len(ending) != 1 {
		bad(InvLogOneFact, "", "%d ending events (%v) for one end", len(ending), ending)
	}
	for k, n := range count {
		if strings.Contains(k, " ") && n > 1 {
			bad(InvLogOneFact, "", "%d %s events", n, k)
		}
	}
	for _, e := range ending {
		if e != r.Status.EndEvent() {
			bad(InvLogTruthful, "", "a %s release is logged as %s", r.Status, e)
		}
	}
	if count[string(release.EventRejected)] > 0 && !c.h.rejected[id] {
		bad(InvLogTruthful, "", "Rejected is logged though nobody rejected (an approval timeout?)")
	}
	return out
}

// endingEvent reports whether t records a release's end (exactly one per
// release: release.Status.EndEvent).
func endingEvent(t release.EventType) bool { return t.Ends() }

func (c *checker) triggers() []Violation {
	var out []Violation
	if c.h.Stuck != "" {
		return nil
	}
	for _, rs := range c.h.Scenario.Releases {
		n := 0
		for _, r := range c.h.Releases {
			if r.Version == rs.Commit {
				n++
			}
		}
		if n != 1 {
			out = append(out, Violation{Invariant: InvTriggerOnce, Detail: fmt.Sprintf("push of %s delivered %d time(s) made %d releases", rs.Version, rs.Deliveries, n)})
		}
	}
	return out
}

func (c *checker) name(v string) string {
	if i, ok := c.byCommit[v]; ok {
		return c.h.Scenario.Releases[i].Version
	}
	return v
}

func (c *checker) names(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = c.name(v)
	}
	return strings.Join(out, ", ")
}

func (c *checker) split(s traffic.Split) string {
	return fmt.Sprintf("%d%% %s / %d%% %s", s.Weight, c.name(s.Candidate), 100-s.Weight, c.name(s.Stable))
}
