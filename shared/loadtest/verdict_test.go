package loadtest

import (
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// spread returns n latencies, n/100 each of 1ms, 2ms, … 100ms, so the
// p50/p90/p99 are 50ms/90ms/99ms.
func spread(n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for i := range n {
		out = append(out, time.Duration(i%100+1)*time.Millisecond)
	}
	return out
}

func TestEvaluate(t *testing.T) {
	healthy := resultOf(t, 0, spread(6000), Counts{}) // 6000 requests in 1m: 100 rps
	failing := resultOf(t, 0, spread(5880), Counts{ServerError: 60, Dropped: 60})
	interrupted := healthy
	interrupted.Interrupted = true
	interrupted.Hold = 20 * time.Second
	empty := resultOf(t, 0, nil, Counts{})
	onlyDrops := resultOf(t, 0, nil, Counts{Dropped: 10})

	tests := []struct {
		name       string
		r          Result
		c          release.Criteria
		wantPassed bool
		// wantChecks is name=passed for each check, in order.
		wantChecks string
		wantReason string
	}{
		{name: "no criteria", r: healthy, wantPassed: true},
		{
			name:       "all met",
			r:          healthy,
			c:          release.Criteria{P50: 60 * time.Millisecond, P90: 95 * time.Millisecond, P99: 100 * time.Millisecond, ErrorRate: 0.01, MinRPS: 100},
			wantPassed: true, wantChecks: "p50=true p90=true p99=true errorRate=true minRps=true",
		},
		{
			name: "p99 exceeded", r: healthy, c: release.Criteria{P50: 60 * time.Millisecond, P99: 98 * time.Millisecond},
			wantChecks: "p50=true p99=false", wantReason: "criteria not met: p99 99.007ms, want <= 98ms",
		},
		{
			name: "p50 exceeded", r: healthy, c: release.Criteria{P50: 49 * time.Millisecond},
			wantChecks: "p50=false", wantReason: "p50 50.015ms, want <= 49ms",
		},
		{
			name: "p90 exactly at limit", r: healthy, c: release.Criteria{P90: 90 * time.Millisecond},
			wantPassed: true, wantChecks: "p90=true",
		},
		{
			name: "p90 beyond the limit's bucket", r: healthy, c: release.Criteria{P90: 89900 * time.Microsecond},
			wantChecks: "p90=false", wantReason: "p90 90.047ms, want <= 89.9ms",
		},
		{
			name: "error rate at limit", r: failing, c: release.Criteria{ErrorRate: 0.02},
			wantPassed: true, wantChecks: "errorRate=true",
		},
		{
			name: "drops and 5xx over limit", r: failing, c: release.Criteria{ErrorRate: 0.019},
			wantChecks: "errorRate=false", wantReason: "errorRate 2.00% (120 of 6000), want <= 1.9%",
		},
		{
			name: "too slow", r: healthy, c: release.Criteria{MinRPS: 100.5},
			wantChecks: "minRps=false", wantReason: "minRps 100.0 (6000 requests in 1m0s), want >= 100.5",
		},
		{
			name: "no requests", r: empty, c: release.Criteria{P99: time.Second, ErrorRate: 0.5},
			wantChecks: "p99=false errorRate=false", wantReason: "no requests were attempted",
		},
		{name: "no requests and no criteria", r: empty, wantReason: "no requests were attempted"},
		{
			name: "only drops", r: onlyDrops, c: release.Criteria{P99: time.Second, ErrorRate: 0.5},
			wantChecks: "p99=false errorRate=false", wantReason: "criteria not met",
		},
		{
			name: "interrupted", r: interrupted, c: release.Criteria{P99: time.Second},
			wantChecks: "p99=true", wantReason: "interrupted after 20s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(tt.r, tt.c)
			if v.Passed != tt.wantPassed {
				t.Errorf("got passed %v, want %v (%+v)", v.Passed, tt.wantPassed, v)
			}
			var checks []string
			for _, c := range v.Checks {
				checks = append(checks, c.Name+"="+map[bool]string{true: "true", false: "false"}[c.Passed])
			}
			if got := strings.Join(checks, " "); got != tt.wantChecks {
				t.Errorf("got checks %q, want %q", got, tt.wantChecks)
			}
			if tt.wantPassed && v.Reason != "" {
				t.Errorf("got reason %q for a passing verdict, want none", v.Reason)
			}
			if !strings.Contains(v.Reason, tt.wantReason) {
				t.Errorf("got reason %q, want it to contain %q", v.Reason, tt.wantReason)
			}
		})
	}
}
