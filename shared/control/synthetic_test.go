package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/release"
)

// fakeSynthetic records synthetic traffic starts and stops; each start
// "sends" 120 requests.
type fakeSynthetic struct {
	mu      sync.Mutex
	running bool
	starts  []int // rps of each start
	stops   int
	stopErr error // what StopSynthetic fails with while running
}

func (f *fakeSynthetic) StartSynthetic(_ context.Context, _ release.Target, rps int, until time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = true
	f.starts = append(f.starts, rps)
	return nil
}

func (f *fakeSynthetic) StopSynthetic(context.Context, release.Target) (int64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.running {
		return 0, false, nil
	}
	if f.stopErr != nil {
		return 0, false, f.stopErr
	}
	f.running = false
	f.stops++
	return 120, true, nil
}

// quietSource has 10 real canary values (too few for the default 50) and
// 200 synthetic values per side; the synthetic canary is slower by
// synthFactor. mode says which of its sources analysis read.
type quietSource struct {
	synthFactor float64
	mode        string
	seen        *[]string
}

func (q quietSource) Samples(_ context.Context, m analysis.Query) ([]float64, []float64, error) {
	*q.seen = append(*q.seen, q.mode)
	var c, b []float64
	val := func(i int) float64 {
		if m.Metric == analysis.MetricErrors {
			return 0
		}
		return 50 + float64(i%37)
	}
	if q.mode != "synthetic" {
		for i := range 400 {
			b = append(b, val(i))
			if i < 10 {
				c = append(c, val(i))
			}
		}
	}
	if q.mode != "real" {
		for i := range 200 {
			b = append(b, val(i))
			c = append(c, val(i)*q.synthFactor)
		}
	}
	return c, b, nil
}

func (q quietSource) WithSyntheticRequests() analysis.Source { q.mode = "mixed"; return q }
func (q quietSource) SyntheticOnly() analysis.Source         { q.mode = "synthetic"; return q }

// TestSyntheticTrafficForQuietCanaries: an analysis step whose canary gets
// too little real traffic starts synthetic requests at the spec's maxRps
// for its bake and stops them when the bake ends (each logged, with the
// count sent). Synthetic requests are judged on their own unless the spec
// counts them in (countInJudgment), and never left running after the
// release, whatever its end.
func TestSyntheticTrafficForQuietCanaries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		count    bool
		factor   float64
		requests int64 // what the request counter reports
		want     release.Status
		alias    string
		starts   int
		reads    string // the sources analysis read, in order (per metric)
	}{
		{"synthetic judged alone: slower", false, 1.5, 0, release.StatusRolledBack, "1", 1, "real synthetic"},
		{"synthetic judged alone: healthy", false, 1, 0, release.StatusSucceeded, "2", 1, "real synthetic"},
		{"counted with real traffic", true, 1.5, 0, release.StatusRolledBack, "1", 1, "mixed"},
		{"enough real traffic: none sent", false, 1.5, 1000, release.StatusRolledBack, "1", 0, "real synthetic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := "            - weight: 10\n              bake: 5m\n              analysis:\n                metrics: [{ name: latency, effect: 10% }]\n                synthetic: { maxRps: 7, countInJudgment: " + map[bool]string{true: "true", false: "false"}[tc.count] + " }\n            - { weight: 100 }"
			w := newWorldSpec(t, stepsSpec(steps))
			w.requests = tc.requests
			syn := &fakeSynthetic{}
			var seen []string
			w.svc.Synthetic = syn
			w.svc.Analysis = func(release.Target) (analysis.Source, error) {
				return quietSource{synthFactor: tc.factor, mode: "real", seen: &seen}, nil
			}
			r, x := w.start("v2", "push:orders:main:synthetic-"+strings.ReplaceAll(tc.name, " ", "-"))
			w.wait(x)
			got := w.releaseOf(r.ID)
			if got.Status != tc.want {
				t.Errorf("release = %s (%s), want %s", got.Status, got.Reason, tc.want)
			}
			evs := w.events(r.ID)
			started, stopped := eventsOfType(evs, release.EventSyntheticStarted), eventsOfType(evs, release.EventSyntheticStopped)
			if len(syn.starts) != tc.starts || len(started) != tc.starts || len(stopped) != tc.starts || syn.stops != tc.starts {
				t.Errorf("%d starts (%d logged), %d stops (%d logged); want %d of each", len(syn.starts), len(started), syn.stops, len(stopped), tc.starts)
			}
			for _, rps := range syn.starts {
				if rps != 7 {
					t.Errorf("synthetic traffic at %d rps, want the spec's maxRps 7", rps)
				}
			}
			for _, ev := range stopped {
				if !strings.Contains(ev.Message, "120 requests sent") {
					t.Errorf("SyntheticStopped %q does not say how many requests were sent", ev.Message)
				}
			}
			if syn.running {
				t.Error("synthetic traffic still running after the release ended")
			}
			if got := strings.Join(seen, " "); tc.starts > 0 && got != tc.reads {
				t.Errorf("analysis read %q, want %q", got, tc.reads)
			}
			if !tc.count && tc.starts > 0 {
				judged := eventsOfType(evs, release.EventAnalysis)
				var d struct {
					Synthetic bool `json:"synthetic"`
				}
				if len(judged) != 2 || json.Unmarshal(judged[1].Data, &d) != nil || !d.Synthetic {
					t.Errorf("AnalysisJudged events %d, want 2, the second of synthetic requests alone", len(judged))
				}
			}
			w.checkSafety(r, map[string]string{"orders": tc.alias})
		})
	}
}

// alarmDuringSynthetic runs a release whose analysis step sends synthetic
// requests through syn while its alarm fires in the first bake, and checks
// that it rolled back.
func alarmDuringSynthetic(t *testing.T, syn *fakeSynthetic, key string) (*world, release.Release) {
	t.Helper()
	w := newWorldSpec(t, stepsSpec("            - weight: 10\n              bake: 5m\n              analysis:\n                metrics: [{ name: latency }]\n                synthetic: { maxRps: 3 }\n            - { weight: 100 }"))
	var seen []string
	w.svc.Synthetic = syn
	w.svc.Analysis = func(release.Target) (analysis.Source, error) {
		return quietSource{synthFactor: 1, mode: "real", seen: &seen}, nil
	}
	w.onBake = func(w *world, weight int) {
		if weight == 10 {
			w.fireAlarm("orders-5xx")
		}
	}
	r, x := w.start("v2", "push:orders:main:"+key)
	w.wait(x)
	if got := w.releaseOf(r.ID); got.Status != release.StatusRolledBack {
		t.Errorf("release = %s (%s), want ROLLED_BACK", got.Status, got.Reason)
	}
	return w, r
}

// TestSyntheticStopFailureDoesNotBlockRestore: traffic goes back to the
// known-good version even when synthetic traffic cannot be stopped.
func TestSyntheticStopFailureDoesNotBlockRestore(t *testing.T) {
	w, r := alarmDuringSynthetic(t, &fakeSynthetic{stopErr: errors.New("fleet gone")}, "synthetic-stop-fails")
	w.checkSafety(r, map[string]string{"orders": "1"})
}

// TestSyntheticTrafficStopsOnRollback: an alarm failing the bake while
// synthetic requests run sends the release to its restore, which stops
// them and logs it.
func TestSyntheticTrafficStopsOnRollback(t *testing.T) {
	syn := &fakeSynthetic{}
	w, r := alarmDuringSynthetic(t, syn, "synthetic-alarm")
	stopped := eventsOfType(w.events(r.ID), release.EventSyntheticStopped)
	if syn.running || len(syn.starts) != 1 || len(stopped) != 1 {
		t.Errorf("running %v after %d starts, %d SyntheticStopped; want stopped once", syn.running, len(syn.starts), len(stopped))
	}
	w.checkSafety(r, map[string]string{"orders": "1"})
}

// TestSyntheticTrafficUnavailableIsSaid: without a Synthetic (AWS) a step
// asking for synthetic traffic is judged on real traffic, and the log says
// so once.
func TestSyntheticTrafficUnavailableIsSaid(t *testing.T) {
	w := newWorldSpec(t, stepsSpec("            - weight: 10\n              bake: 5m\n              analysis:\n                metrics: [{ name: latency, effect: 10% }]\n                synthetic: { maxRps: 3 }\n            - { weight: 100 }"))
	w.svc.Analysis = func(release.Target) (analysis.Source, error) { return canarySource{1}, nil }
	r, x := w.start("v2", "push:orders:main:synthetic-none")
	w.wait(x)
	if got := w.releaseOf(r.ID); got.Status != release.StatusSucceeded {
		t.Errorf("release = %s (%s), want SUCCEEDED", got.Status, got.Reason)
	}
	n := 0
	for _, ev := range eventsOfType(w.events(r.ID), release.EventNote) {
		if strings.Contains(ev.Message, "cannot send any") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d notes say synthetic traffic is unavailable, want 1", n)
	}
	w.checkSafety(r, map[string]string{"orders": "2"})
}
