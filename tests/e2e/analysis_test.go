package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
)

// TestAnalysisCatchesSubtleRegressions: on the real local stack (demo
// service processes behind the weighted proxy, real traffic), regressions
// no threshold alarm sees — a 20 ms service 35% slower, a canary failing
// 1.5% of its requests — are failed by canary analysis at the 20% step and
// rolled back, while a healthy version under the same spec promotes. The
// values are not the benchmark's (tests/bench/analysis tunes nothing on
// them). The two pipelines run at once to halve the wall time.
func TestAnalysisCatchesSubtleRegressions(t *testing.T) {
	st := startStackWith(t, local.Config{TrafficRPS: 200}, "judge-latency.yaml", "judge-errors.yaml")
	t.Run("pipelines", func(t *testing.T) {
		t.Run("latency", func(t *testing.T) {
			t.Parallel()
			good := push(t, st, "judge-latency", local.PushRequest{Version: "v2"})
			if good.Release.Status != release.StatusSucceeded {
				t.Fatalf("healthy v2 = %s (%s), want SUCCEEDED", good.Release.Status, good.Release.Reason)
			}
			wantJudged(t, good, "pass", "")
			checkInvariants(t, st, good, "v2")
			slow := push(t, st, "judge-latency", local.PushRequest{Version: "v3", Fault: "latency=+35%"})
			wantCaughtByAnalysis(t, slow, "latency")
			checkInvariants(t, st, slow, "v2")
		})
		t.Run("errors", func(t *testing.T) {
			t.Parallel()
			bad := push(t, st, "judge-errors", local.PushRequest{Version: "v2", Fault: "error-rate=0.015"})
			wantCaughtByAnalysis(t, bad, "errors")
			checkInvariants(t, st, bad, "v1")
		})
	})
}

// wantCaughtByAnalysis checks that v was rolled back because canary
// analysis failed metric, with no alarm involved.
func wantCaughtByAnalysis(t *testing.T, v local.ReleaseView, metric string) {
	t.Helper()
	if v.Release.Status != release.StatusRolledBack || !strings.Contains(v.Release.Reason, "canary analysis failed") {
		t.Fatalf("%s = %s (%s), want ROLLED_BACK by canary analysis", v.Release.Version, v.Release.Status, v.Release.Reason)
	}
	if n := len(eventsOf(v, release.EventAlarm)); n > 0 {
		t.Errorf("%s tripped %d alarm(s); the regression was meant to stay below every threshold", v.Release.Version, n)
	}
	wantJudged(t, v, "fail", metric)
}

// wantJudged checks v's last AnalysisJudged event: its verdict and, when
// metric is set, that metric failing (classification high).
func wantJudged(t *testing.T, v local.ReleaseView, verdict, metric string) {
	t.Helper()
	evs := eventsOf(v, release.EventAnalysis)
	if len(evs) == 0 {
		t.Fatalf("%s has no %s event", v.Release.Version, release.EventAnalysis)
	}
	var j struct {
		Verdict string `json:"verdict"`
		Reason  string `json:"reason"`
		Metrics []struct {
			Name          string  `json:"name"`
			Class         string  `json:"classification"`
			CanaryCount   int     `json:"canaryCount"`
			BaselineCount int     `json:"baselineCount"`
			CanaryMean    float64 `json:"canaryMean"`
			BaselineMean  float64 `json:"baselineMean"`
		} `json:"metrics"`
	}
	last := evs[len(evs)-1]
	if err := json.Unmarshal(last.Data, &j); err != nil {
		t.Fatalf("%s: decode judgment: %v", release.EventAnalysis, err)
	}
	for _, m := range j.Metrics {
		t.Logf("%s %s: %s, canary %d values mean %.4g, baseline %d mean %.4g", v.Release.Version, m.Name, m.Class, m.CanaryCount, m.CanaryMean, m.BaselineCount, m.BaselineMean)
	}
	if j.Verdict != verdict {
		t.Errorf("%s judged %s (%s), want %s", v.Release.Version, j.Verdict, j.Reason, verdict)
	}
	if metric == "" {
		return
	}
	for _, m := range j.Metrics {
		if m.Name == metric {
			if m.Class != "high" {
				t.Errorf("%s: metric %s is %s, want high", v.Release.Version, metric, m.Class)
			}
			return
		}
	}
	t.Errorf("%s: the judgment has no metric %s", v.Release.Version, metric)
}

// TestSyntheticTrafficJudgesAQuietCanary: on the real stack with little
// traffic, an analysis step sends synthetic requests to the canary and the
// baseline and judges them apart from the (inconclusive) real traffic: a
// healthy version promotes, one 35% slower is rolled back; each step's
// synthetic traffic is started and stopped in the log, with its count.
func TestSyntheticTrafficJudgesAQuietCanary(t *testing.T) {
	st := startStackWith(t, local.Config{TrafficRPS: 4}, "quiet.yaml")
	good := push(t, st, "quiet", local.PushRequest{Version: "v2"})
	if good.Release.Status != release.StatusSucceeded {
		t.Fatalf("healthy v2 = %s (%s), want SUCCEEDED", good.Release.Status, good.Release.Reason)
	}
	wantSynthetic(t, good, "pass")
	checkInvariants(t, st, good, "v2")
	slow := push(t, st, "quiet", local.PushRequest{Version: "v3", Fault: "latency=+35%"})
	if slow.Release.Status != release.StatusRolledBack || !strings.Contains(slow.Release.Reason, "canary analysis failed") {
		t.Fatalf("v3 = %s (%s), want ROLLED_BACK by canary analysis", slow.Release.Status, slow.Release.Reason)
	}
	wantSynthetic(t, slow, "fail")
	checkInvariants(t, st, slow, "v2")
}

// wantSynthetic checks that v's analysis step sent synthetic traffic (one
// start, one stop with a count), that the judgment of real traffic was
// inconclusive and that the synthetic requests' judgment said verdict.
func wantSynthetic(t *testing.T, v local.ReleaseView, verdict string) {
	t.Helper()
	started, stopped := eventsOf(v, release.EventSyntheticStarted), eventsOf(v, release.EventSyntheticStopped)
	if len(started) != 1 || len(stopped) != 1 {
		t.Fatalf("%s: %d SyntheticStarted and %d SyntheticStopped events, want 1 each", v.Release.Version, len(started), len(stopped))
	}
	var sent struct {
		Sent int64 `json:"sent"`
	}
	if err := json.Unmarshal(stopped[0].Data, &sent); err != nil || sent.Sent < 200 {
		t.Errorf("%s: synthetic traffic sent %d requests (%v), want at least 200 (40/s for 10 s)", v.Release.Version, sent.Sent, err)
	}
	judged := eventsOf(v, release.EventAnalysis)
	if len(judged) != 2 {
		t.Fatalf("%s: %d AnalysisJudged events, want 2 (real traffic, then synthetic)", v.Release.Version, len(judged))
	}
	var real, syn struct {
		Verdict   string `json:"verdict"`
		Synthetic bool   `json:"synthetic"`
		Metrics   []struct {
			Name        string  `json:"name"`
			CanaryCount int     `json:"canaryCount"`
			CanaryMean  float64 `json:"canaryMean"`
			BaseMean    float64 `json:"baselineMean"`
		} `json:"metrics"`
	}
	if json.Unmarshal(judged[0].Data, &real) != nil || json.Unmarshal(judged[1].Data, &syn) != nil {
		t.Fatalf("%s: judgments do not decode", v.Release.Version)
	}
	for _, m := range syn.Metrics {
		t.Logf("%s synthetic %s: canary %d values mean %.4g, baseline mean %.4g", v.Release.Version, m.Name, m.CanaryCount, m.CanaryMean, m.BaseMean)
	}
	if real.Verdict != "inconclusive" || real.Synthetic {
		t.Errorf("%s: real traffic judged %s (synthetic %v), want inconclusive", v.Release.Version, real.Verdict, real.Synthetic)
	}
	if syn.Verdict != verdict || !syn.Synthetic {
		t.Errorf("%s: synthetic requests judged %s (synthetic %v), want %s", v.Release.Version, syn.Verdict, syn.Synthetic, verdict)
	}
}
