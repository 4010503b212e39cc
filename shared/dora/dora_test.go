package dora_test

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dora"
	"github.com/shipwave/shipwave/shared/release"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }

// ended is a release that ended with status at end, triggered at trig, with
// the given failure signal (if any) at sig.
func ended(id string, st release.Status, trig, sig, end time.Time, sigType release.EventType) dora.Input {
	r := release.Release{ID: id, Pipeline: "shop", Version: "v-" + id, Status: st,
		Trigger: release.Trigger{Kind: release.TriggerPush, Time: trig}, CreatedAt: trig.Add(time.Minute), UpdatedAt: end.Add(time.Second)}
	evs := []release.Event{{Type: release.EventCreated, Time: trig.Add(time.Minute)}}
	if sigType != "" {
		evs = append(evs, release.Event{Type: sigType, Time: sig})
	}
	if e := st.EndEvent(); e != "" {
		evs = append(evs, release.Event{Type: e, Time: end})
	}
	return dora.Input{Release: r, Events: evs}
}

func TestCompute(t *testing.T) {
	from, to := t0, t0.Add(7*24*time.Hour)
	ins := []dora.Input{
		// Succeeded: lead times 30m, 1h, 2h (median 1h).
		ended("a", release.StatusSucceeded, at(1, 0), time.Time{}, at(1, 30), ""),
		ended("b", release.StatusSucceeded, at(30, 0), time.Time{}, at(31, 0), ""),
		ended("c", release.StatusSucceeded, at(50, 0), time.Time{}, at(52, 0), ""),
		// Failed: restores 4m (alarm), 10m (hook): median 7m.
		ended("d", release.StatusRolledBack, at(60, 0), at(60, 20), at(60, 24), release.EventAlarm),
		ended("e", release.StatusNeedsAttention, at(70, 0), at(70, 5), at(70, 15), release.EventHookFailed),
		// Not counted: cancelled, superseded, a restore, one before the window, one still running.
		ended("f", release.StatusCancelled, at(2, 0), time.Time{}, at(2, 1), ""),
		ended("g", release.StatusSuperseded, at(3, 0), time.Time{}, at(3, 1), ""),
		func() dora.Input {
			in := ended("h", release.StatusSucceeded, at(4, 0), time.Time{}, at(4, 1), "")
			in.Release.Trigger.Kind = release.TriggerRestore
			return in
		}(),
		ended("i", release.StatusSucceeded, t0.Add(-3*time.Hour), time.Time{}, t0.Add(-time.Hour), ""),
		{Release: release.Release{ID: "j", Status: release.StatusInProgress, CreatedAt: at(5, 0), UpdatedAt: at(5, 0)}},
	}
	m := dora.Compute("shop", ins, from, to)
	checks := []struct {
		name      string
		got, want any
	}{
		{"deployments", m.Deployments, 3},
		{"failures", m.Failures, 2},
		{"per day", m.PerDay, 3.0 / 7},
		{"change failure rate", m.ChangeFailureRate, 2.0 / 5},
		{"lead time", m.LeadTime, time.Hour},
		{"time to restore", m.TimeToRestore, 7 * time.Minute},
		{"lead time points", len(m.LeadTimes), 3},
		{"restore points", len(m.Restores), 2},
		{"buckets", len(m.Buckets), 7},
		{"day 0 succeeded", m.Buckets[0].Succeeded, 1},
		{"day 1 succeeded", m.Buckets[1].Succeeded, 1},
		{"day 2 succeeded", m.Buckets[2].Succeeded, 1},
		{"day 2 failed", m.Buckets[2].Failed, 2},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestEndIsTheEndEvent(t *testing.T) {
	in := ended("a", release.StatusSucceeded, at(0, 0), time.Time{}, at(1, 0), "")
	if got := dora.End(in); !got.Equal(at(1, 0)) {
		t.Errorf("End = %v, want the end event's time %v (not UpdatedAt %v)", got, at(1, 0), in.Release.UpdatedAt)
	}
	in.Events = in.Events[:1]
	if got := dora.End(in); !got.Equal(in.Release.UpdatedAt) {
		t.Errorf("End without an end event = %v, want UpdatedAt", got)
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true}, {"24h", 24 * time.Hour, true}, {"90m", 90 * time.Minute, true},
		{"", 0, false}, {"0d", 0, false}, {"400d", 0, false}, {"xd", 0, false}, {"30s", 0, false}, {"-1h", 0, false},
	}
	for _, tt := range tests {
		got, err := dora.ParseWindow(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"7d", "1h", "", "9999999999999d", "-3d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := dora.ParseWindow(s)
		if err == nil && (d < time.Minute || d > dora.MaxWindow) {
			t.Fatalf("ParseWindow(%q) = %v, outside the bounds", s, d)
		}
	})
}
