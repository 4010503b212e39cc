package cloudwatch_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
)

// TestSyntheticSeries: a Lambda source reads real traffic from the alias's
// ExecutedVersion series, synthetic requests from the version's own
// Resource=<function>:<version> series (where CloudWatch records direct
// version invocations), or both summed: latency as the Duration sum over
// the invocation sum, errors as counts.
func TestSyntheticSeries(t *testing.T) {
	f := awsfake.NewCloudWatchMetrics(t)
	at := start.Add(10 * time.Second)
	put := func(dims map[string]string, n int, errs int, ms float64) {
		for i := range n {
			f.Put("AWS/Lambda", "Invocations", dims, at, 1)
			f.Put("AWS/Lambda", "Errors", dims, at, b01(i < errs))
			f.Put("AWS/Lambda", "Duration", dims, at, ms)
		}
	}
	alias := func(v string) map[string]string {
		return map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": v}
	}
	direct := func(v string) map[string]string {
		return map[string]string{"FunctionName": "orders", "Resource": "orders:" + v}
	}
	put(alias("7"), 10, 1, 50)  // the canary's real traffic
	put(alias("6"), 90, 0, 50)  // the baseline's
	put(direct("7"), 30, 3, 70) // synthetic, to the canary
	put(direct("6"), 30, 0, 40) // synthetic, to the baseline

	src := cloudwatch.LambdaMetrics(metricsClient(f), "orders", "live", time.Minute)
	q := analysis.Query{Canary: "7", Baseline: "6", From: start, To: start.Add(time.Minute)}
	ctx := context.Background()
	for _, tc := range []struct {
		name                 string
		src                  analysis.Source
		canaryMs, baselineMs float64
		canary, baseline     analysis.Count
	}{
		{"real traffic", src, 50, 50, analysis.Count{Events: 1, Total: 10}, analysis.Count{Events: 0, Total: 90}},
		{"synthetic only", src.SyntheticOnly(), 70, 40, analysis.Count{Events: 3, Total: 30}, analysis.Count{Events: 0, Total: 30}},
		{"both", src.WithSyntheticRequests(), (10*50 + 30*70) / 40.0, (90*50 + 30*40) / 120.0, analysis.Count{Events: 4, Total: 40}, analysis.Count{Events: 0, Total: 120}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lq := q
			lq.Metric = analysis.MetricLatency
			c, b, err := tc.src.Samples(ctx, lq)
			if err != nil || len(c) != 1 || len(b) != 1 || math.Abs(c[0]-tc.canaryMs) > 1e-9 || math.Abs(b[0]-tc.baselineMs) > 1e-9 {
				t.Errorf("latency = %v, %v, %v; want [%g], [%g]", c, b, err, tc.canaryMs, tc.baselineMs)
			}
			eq := q
			eq.Metric = analysis.MetricErrors
			counts, ok, err := tc.src.(analysis.CountSource).Counts(ctx, eq)
			if err != nil || !ok || counts.Canary != tc.canary || counts.Baseline != tc.baseline {
				t.Errorf("error counts = %+v, %v, %v; want %+v and %+v", counts, ok, err, tc.canary, tc.baseline)
			}
		})
	}

	alb := cloudwatch.ALBMetrics(metricsClient(f), "app/shop/50dc6c495c0c9188", time.Minute)
	if alb.WithSyntheticRequests() != analysis.Source(alb) {
		t.Error("an ALB source with synthetic requests is not itself (it gets none)")
	}
	lq := q
	lq.Metric = analysis.MetricLatency
	if _, _, err := alb.SyntheticOnly().Samples(ctx, lq); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("ALB synthetic-only samples: %v, want ErrInvalid (nothing to judge)", err)
	}
}
