package analysisbench_test

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"

	analysisbench "github.com/shipwave/shipwave/tests/bench/analysis"
)

var (
	seeds = flag.Int("seeds", 200, "seeds per scenario")
	first = flag.Uint64("first", analysisbench.TuneSeeds, "first seed (docs/benchmarks.md reports the seeds from analysisbench.ReportSeeds, 1000000)")
	table = flag.Bool("table", false, "print the results as the Markdown tables of docs/benchmarks.md")
)

// TestQualityGoals runs every scenario over fixed seeds (deterministic) and
// checks issue 14's goals: at most 1% A/A false positives, at least 99%
// detection of +50% latency, and per-request analysis detecting every bad
// scenario clearly more often than the threshold alarms (by at least 10
// points), except the case at the detection floor (Scenario.AtFloor), where
// it must not do worse than the alarms by more than 5 points.
func TestQualityGoals(t *testing.T) {
	var rows []analysisbench.Rates
	for _, s := range analysisbench.Scenarios {
		r, err := analysisbench.Measure(s, *first, *seeds)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
		switch {
		case !s.Bad:
			if r.PerRequest > 1 {
				t.Errorf("%s: analysis false-positive rate %.1f%%, want at most 1%%", s.Name, r.PerRequest)
			}
		case s.Name == "latency +50%":
			if r.PerRequest < 99 {
				t.Errorf("%s: analysis detected %.1f%%, want at least 99%%", s.Name, r.PerRequest)
			}
		}
		switch {
		case s.Bad && s.AtFloor:
			if r.PerRequest < r.Alarm-5 {
				t.Errorf("%s: analysis detected %.1f%%, threshold alarms %.1f%%: worse", s.Name, r.PerRequest, r.Alarm)
			}
		case s.Bad:
			if r.PerRequest < r.Alarm+10 {
				t.Errorf("%s: analysis detected %.1f%%, threshold alarms %.1f%%: not clearly better", s.Name, r.PerRequest, r.Alarm)
			}
		}
	}
	if *table {
		fmt.Print(Markdown(rows))
	}
}

// atMostOnePercent reports whether a rate of pct% over n runs is
// consistent with a true rate of at most 1%: its count is not above the
// binomial(n, 1%) distribution's 99th percentile. With few seeds one false
// positive is already 2%; the reported table's 500 seeds resolve it.
func atMostOnePercent(pct float64, n int) bool {
	k := int(math.Round(pct * float64(n) / 100))
	// P(X >= k) for X ~ binomial(n, 0.01), summed from the top.
	tail := 0.0
	for j := n; j >= k; j-- {
		lc, _ := math.Lgamma(float64(n + 1))
		la, _ := math.Lgamma(float64(j + 1))
		lb, _ := math.Lgamma(float64(n - j + 1))
		tail += math.Exp(lc - la - lb + float64(j)*math.Log(0.01) + float64(n-j)*math.Log(0.99))
	}
	return k == 0 || tail > 0.01
}

// TestErrorSampleSize measures the error-rate cases with more canary
// requests (SampleSizeScenarios): analysis must keep its A/A false
// positives at most 1% (consistent with it, for few seeds) and detect 0.5% errors in 3000 canary requests and
// 2% in 1000 at least 90% of the time, more often than the alarms; it
// reports what the alarms do on the same data (their false positives grow
// with the bake).
func TestErrorSampleSize(t *testing.T) {
	n := max(20, *seeds/4) // the long runs cost ten times as much
	var rows []analysisbench.Rates
	for _, s := range analysisbench.SampleSizeScenarios {
		r, err := analysisbench.Measure(s, *first, n)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
		switch {
		case !s.Bad && !atMostOnePercent(r.PerRequest, n):
			t.Errorf("%s: analysis false-positive rate %.1f%% over %d seeds, inconsistent with at most 1%%", s.Name, r.PerRequest, n)
		case s.Bad && s.Name != "error rate 0.5%, 1000 canary requests" && r.PerRequest < 90:
			t.Errorf("%s: analysis detected %.1f%%, want at least 90%%", s.Name, r.PerRequest)
		}
	}
	if *table {
		fmt.Print(Markdown(rows))
	}
}

// Markdown renders rows as the benchmark table.
func Markdown(rows []analysisbench.Rates) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| Scenario (%d seeds each) | Analysis, per request | Analysis, per period | Threshold alarms |\n", rows[0].Seeds)
	b.WriteString("|---|---:|---:|---:|\n")
	for _, r := range rows {
		kind := "detected"
		if !r.Scenario.Bad {
			kind = "false positives"
		}
		fmt.Fprintf(&b, "| %s — %s | %.1f%% | %.1f%% | %.1f%% |\n", r.Scenario.Name, kind, r.PerRequest, r.PerPeriod, r.Alarm)
	}
	return b.String()
}

func BenchmarkJudge(b *testing.B) {
	reqs := analysisbench.Generate(analysisbench.Scenarios[1], 1)
	for b.Loop() {
		if _, err := analysisbench.Judge(reqs, analysisbench.Bake); err != nil {
			b.Fatal(err)
		}
	}
}
