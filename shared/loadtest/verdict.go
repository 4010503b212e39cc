package loadtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Verdict is the judgement of a result against criteria.
type Verdict struct {
	Passed bool `json:"passed"`
	// Reason says in one sentence why a verdict failed; empty when it passed.
	Reason string  `json:"reason,omitempty"`
	Checks []Check `json:"checks"`
}

// Check is one criterion: what was wanted, what was measured, and whether
// that is good enough. Want and Got are human-readable.
type Check struct {
	Name   string `json:"name"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Passed bool   `json:"passed"`
}

// Evaluate judges the hold window of r against c: each of the p50, p90 and
// p99 latencies, the error rate (non-2xx, transport errors, timeouts and
// dropped requests over attempts) and the throughput (requests over the hold
// window) is checked when its criterion is non-zero. A run that attempted no
// requests, or was interrupted, fails whatever the criteria.
func Evaluate(r Result, c release.Criteria) Verdict {
	var v Verdict
	latency := func(name string, q float64, want time.Duration) {
		if want <= 0 {
			return
		}
		got := r.Latency.Quantile(q)
		v.Checks = append(v.Checks, Check{Name: name, Want: "<= " + want.String(), Got: got.String(), Passed: r.Counts.Requests > 0 && r.Latency.atMost(got, want)})
	}
	latency("p50", 0.50, c.P50)
	latency("p90", 0.90, c.P90)
	latency("p99", 0.99, c.P99)
	if c.ErrorRate > 0 {
		got := r.Counts.ErrorRate()
		v.Checks = append(v.Checks, Check{
			Name:   "errorRate",
			Want:   "<= " + percent(c.ErrorRate),
			Got:    fmt.Sprintf("%.2f%% (%d of %d)", got*100, r.Counts.Errors(), r.Counts.Attempts()),
			Passed: r.Counts.Attempts() > 0 && got <= c.ErrorRate,
		})
	}
	if c.MinRPS > 0 {
		got := r.Throughput()
		v.Checks = append(v.Checks, Check{
			Name:   "minRps",
			Want:   ">= " + strconv.FormatFloat(c.MinRPS, 'f', -1, 64),
			Got:    fmt.Sprintf("%.1f (%d requests in %v)", got, r.Counts.Requests, r.Hold),
			Passed: got >= c.MinRPS,
		})
	}

	var failed []string
	for _, ch := range v.Checks {
		if !ch.Passed {
			failed = append(failed, fmt.Sprintf("%s %s, want %s", ch.Name, ch.Got, ch.Want))
		}
	}
	switch {
	case r.Counts.Attempts() == 0:
		v.Reason = "no requests were attempted in the hold window, so nothing can be judged"
	case r.Interrupted:
		v.Reason = fmt.Sprintf("the run was interrupted after %v of its hold window", r.Hold)
	case len(failed) > 0:
		v.Reason = "criteria not met: " + strings.Join(failed, "; ")
	default:
		v.Passed = true
	}
	return v
}

func percent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', -1, 64) + "%"
}
