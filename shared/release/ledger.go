package release

import "encoding/json"

// Touch is one target in a release's ledger: what the release did to it,
// read back from the release's event log.
type Touch struct {
	Target string
	Stage  string
	Wave   string
	// KnownGood is the version the target served, known-good, before the
	// release touched it: where a restore returns it.
	KnownGood string
	Candidate string
	// Weight is the candidate's last recorded weight.
	Weight int
	// Moved says the candidate ever held traffic (a weight above zero).
	Moved bool
	// Promoted: the candidate reached 100% and passed its final bake.
	Promoted bool
	// Settled: the promotion became known-good (TargetSettled).
	Settled bool
	// Restoring: a restore started (RollbackStarted) and has not been
	// verified yet; Restored: it was (RolledBack).
	Restoring bool
	Restored  bool
	// RestoreFailed is why the last restore could not be verified ("" if
	// none failed since the target was last moved).
	RestoreFailed string
	// LockHeld: the log has more LockAcquired than LockReleased events.
	LockHeld bool
}

// Ledger is a release's record of every target it touched, in the order it
// first touched them, derived from its event log. Events are written before
// (TargetPrepared, RollbackStarted) and after (TrafficShifted,
// TargetPromoted, RolledBack) the traffic moves they describe, so the
// ledger plus the targets' stored states is enough to finish or resume any
// restore after a crash.
type Ledger struct {
	Touches []Touch
	// RollbackRequested is the manual rollback request, if one was made.
	RollbackRequested *Event
	// Gate is the last approval decision of the stage waiting at its gate
	// (Rejected or ApprovalTimedOut after the stage's ApprovalWaiting), if
	// the release stopped there.
	Gate *Event
	// Ending is the outcome an ender had already decided when it began
	// settling the release's promotions (TargetSettled's data), if the
	// release did not reach it: a crash came in between.
	Ending Status
	judged map[[2]string]bool
	stages map[string]bool
	index  map[string]int
}

// NewLedger folds a release's events, in seq order, into its ledger.
func NewLedger(events []Event) Ledger {
	l := Ledger{judged: map[[2]string]bool{}, stages: map[string]bool{}, index: map[string]int{}}
	for i := range events {
		ev := events[i]
		switch ev.Type {
		case EventWaveSucceeded:
			l.judged[[2]string{ev.Stage, ev.Wave}] = true
			continue
		case EventStageSucceeded:
			l.stages[ev.Stage] = true
			continue
		case EventApprovalWaiting, EventApproved:
			l.Gate = nil
			continue
		case EventRejected, EventApprovalTimedOut:
			l.Gate = &events[i]
			continue
		case EventRollbackRequest:
			if l.RollbackRequested == nil {
				l.RollbackRequested = &events[i]
			}
			continue
		}
		if ev.Target == "" {
			continue
		}
		var data struct {
			KnownGood string `json:"knownGood"`
			Candidate string `json:"candidate"`
			Stable    string `json:"stable"`
			Version   string `json:"version"`
			Weight    int    `json:"weight"`
		}
		if len(ev.Data) > 0 {
			_ = json.Unmarshal(ev.Data, &data) // events this package did not shape carry no ledger facts
		}
		switch ev.Type {
		case EventTargetPrepared:
			t := l.touch(ev)
			t.Stage, t.Wave, t.KnownGood, t.Candidate = ev.Stage, ev.Wave, data.KnownGood, data.Candidate
			t.Promoted, t.Settled, t.Restoring, t.Restored = false, false, false, false
		case EventTrafficShifted:
			t := l.touch(ev)
			t.Weight = data.Weight
			if data.Weight > 0 {
				t.Moved = true
			}
			if t.Candidate == "" {
				t.Candidate = data.Candidate
			}
			if t.KnownGood == "" {
				t.KnownGood = data.Stable
			}
		case EventTargetPromoted:
			t := l.touch(ev)
			t.Promoted, t.Moved, t.Weight = true, true, 100
		case EventTargetSettled:
			l.touch(ev).Settled = true
			var data struct {
				Ending Status `json:"ending"`
			}
			if len(ev.Data) > 0 && json.Unmarshal(ev.Data, &data) == nil && data.Ending != "" {
				l.Ending = data.Ending
			}
		case EventRollbackStarted:
			if t, ok := l.find(ev.Target); ok && !t.Restored {
				t.Restoring = true
			}
		case EventRolledBack:
			t := l.touch(ev)
			t.Restoring, t.Restored, t.Weight, t.RestoreFailed = false, true, 0, ""
		case EventRestoreFailed:
			if t, ok := l.find(ev.Target); ok {
				t.RestoreFailed = ev.Message
			}
		case EventLockAcquired:
			l.touch(ev).LockHeld = true
		case EventLockReleased:
			if t, ok := l.find(ev.Target); ok {
				t.LockHeld = false
			}
		}
	}
	return l
}

func (l *Ledger) touch(ev Event) *Touch {
	if t, ok := l.find(ev.Target); ok {
		return t
	}
	l.index[ev.Target] = len(l.Touches)
	l.Touches = append(l.Touches, Touch{Target: ev.Target, Stage: ev.Stage, Wave: ev.Wave})
	return &l.Touches[len(l.Touches)-1]
}

func (l *Ledger) find(target string) (*Touch, bool) {
	i, ok := l.index[target]
	if !ok {
		return nil, false
	}
	return &l.Touches[i], true
}

// Get returns the ledger's entry for a target.
func (l Ledger) Get(target string) (Touch, bool) {
	i, ok := l.index[target]
	if !ok {
		return Touch{}, false
	}
	return l.Touches[i], true
}

// StageSucceeded reports whether the stage finished (StageSucceeded).
func (l Ledger) StageSucceeded(stage string) bool { return l.stages[stage] }

// WaveJudged reports whether the wave passed its judgment (WaveSucceeded).
func (l Ledger) WaveJudged(stage, wave string) bool { return l.judged[[2]string{stage, wave}] }

// Moved reports whether the release ever put traffic on a candidate.
func (l Ledger) Moved() bool {
	for _, t := range l.Touches {
		if t.Moved {
			return true
		}
	}
	return false
}

// Restored reports whether the release restored a target whose candidate
// had held traffic: a release that did is ROLLED_BACK, one that did not is
// FAILED.
func (l Ledger) Restored() bool {
	for _, t := range l.Touches {
		if t.Restored && t.Moved {
			return true
		}
	}
	return false
}

// Current returns the stage and wave the release was working on: the
// newest touched wave that was not judged yet (ok false when every touched
// wave was).
func (l Ledger) Current() (stage, wave string, ok bool) {
	for i := len(l.Touches) - 1; i >= 0; i-- {
		t := l.Touches[i]
		if !l.WaveJudged(t.Stage, t.Wave) {
			return t.Stage, t.Wave, true
		}
	}
	return "", "", false
}
