package cloudwatch_test

import (
	"errors"
	"testing"
	"time"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/analysis/analysistest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
)

var start = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func metricsClient(f *awsfake.CloudWatchMetrics) *cw.Client {
	return cw.NewFromConfig(awsfake.Config(f.URL()))
}

func b01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestLambdaMetricsContract(t *testing.T) {
	analysistest.Run(t, func(t *testing.T) analysistest.Harness {
		f := awsfake.NewCloudWatchMetrics(t)
		return analysistest.Harness{
			Source: cloudwatch.LambdaMetrics(metricsClient(f), "orders", "live", time.Minute),
			Record: func(version string, reqs []analysistest.Request) {
				dims := map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": version}
				for _, r := range reqs {
					f.Put("AWS/Lambda", "Invocations", dims, r.At, 1)
					f.Put("AWS/Lambda", "Errors", dims, r.At, b01(r.Failed))
					f.Put("AWS/Lambda", "Duration", dims, r.At, float64(r.Latency)/float64(time.Millisecond))
				}
			},
			Canary: "7", Baseline: "6", PerPeriod: true, Period: time.Minute, Start: start,
		}
	})
}

func TestALBMetricsContract(t *testing.T) {
	const lb = "app/shop/50dc6c495c0c9188"
	analysistest.Run(t, func(t *testing.T) analysistest.Harness {
		f := awsfake.NewCloudWatchMetrics(t)
		return analysistest.Harness{
			Source: cloudwatch.ALBMetrics(metricsClient(f), lb, time.Minute),
			Record: func(group string, reqs []analysistest.Request) {
				dims := map[string]string{"TargetGroup": "targetgroup/" + group[len("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/"):], "LoadBalancer": lb}
				for _, r := range reqs {
					f.Put("AWS/ApplicationELB", "RequestCount", dims, r.At, 1)
					if r.Failed {
						f.Put("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims, r.At, 1)
					}
					f.Put("AWS/ApplicationELB", "TargetResponseTime", dims, r.At, r.Latency.Seconds())
				}
			},
			Canary:    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/6d0ecf831eec9f09",
			Baseline:  "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/943f017f100becff",
			PerPeriod: true, Period: time.Minute, Start: start,
		}
	})
}

func TestMetricsServiceErrorsWrapped(t *testing.T) {
	f := awsfake.NewCloudWatchMetrics(t)
	f.Inject(awsfake.Fault{Operation: "GetMetricData", Status: 400, Code: "AccessDenied"})
	src := cloudwatch.LambdaMetrics(metricsClient(f), "orders", "live", 0)
	_, _, err := src.Samples(t.Context(), analysis.Query{Metric: analysis.MetricLatency, Canary: "2", Baseline: "1", From: start, To: start.Add(5 * time.Minute)})
	if err == nil || errors.Is(err, release.ErrInvalid) {
		t.Errorf("err = %v, want the service's error", err)
	}
}

func TestMetricsFor(t *testing.T) {
	f := awsfake.NewCloudWatchMetrics(t)
	tests := []struct {
		name    string
		target  release.Target
		wantErr bool
	}{
		{"lambda", release.Target{Type: release.TargetLambdaAlias, Name: "l", Function: "orders", Alias: "live"}, false},
		{"lambda without alias", release.Target{Type: release.TargetLambdaAlias, Name: "l", Function: "orders"}, true},
		{"ecs", release.Target{Type: release.TargetECSBlueGreen, Name: "e", ListenerARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2"}, false},
		{"ecs bad listener", release.Target{Type: release.TargetECSBlueGreen, Name: "e", ListenerARN: "listener/app/shop"}, true},
		{"local", release.Target{Type: release.TargetLocal, Name: "x", Service: "x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cloudwatch.MetricsFor(metricsClient(f), tt.target, 0)
			if tt.wantErr != errors.Is(err, release.ErrInvalid) || (!tt.wantErr && err != nil) {
				t.Errorf("MetricsFor = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	// The ALB source derived from the listener reads the balancer's metrics.
	lb := "app/shop/50dc6c495c0c9188"
	dims := map[string]string{"TargetGroup": "targetgroup/green/1", "LoadBalancer": lb}
	base := map[string]string{"TargetGroup": "targetgroup/blue/2", "LoadBalancer": lb}
	for i := range 5 {
		at := start.Add(time.Duration(i) * time.Minute)
		f.Put("AWS/ApplicationELB", "TargetResponseTime", dims, at, 0.2)
		f.Put("AWS/ApplicationELB", "TargetResponseTime", base, at, 0.1)
	}
	src, err := cloudwatch.MetricsFor(metricsClient(f), tests[2].target, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if src.Delay() != cloudwatch.DefaultDelay {
		t.Errorf("MetricsFor's delay = %s, want DefaultDelay %s", src.Delay(), cloudwatch.DefaultDelay)
	}
	// Five minutes of data, the last two within DefaultDelay of To: three
	// periods are read.
	c, b, err := src.Samples(t.Context(), analysis.Query{Metric: analysis.MetricLatency, Canary: "targetgroup/green/1", Baseline: "targetgroup/blue/2", From: start, To: start.Add(5 * time.Minute)})
	if err != nil || len(c) != 3 || c[0] != 200 || len(b) != 3 || b[0] != 100 {
		t.Errorf("samples %v %v %v, want 3×200 ms and 3×100 ms", c, b, err)
	}
}

// TestDelayLeavesOutLatePeriods: CloudWatch datapoints arrive late, so the
// newest periods of a window read at its end are partial (here the
// canary's last two minutes hold 1 of their 10 invocations so far). With a
// delay the window ends that much earlier and those periods are not read.
func TestDelayLeavesOutLatePeriods(t *testing.T) {
	f := awsfake.NewCloudWatchMetrics(t)
	canary := map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "7"}
	baseline := map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "6"}
	// Ten minutes of traffic; the canary's last two minutes are only
	// partly published yet (1 of 10 invocations), the baseline's fully.
	for i := range 10 {
		at := start.Add(time.Duration(i) * time.Minute)
		n := 10.0
		if i >= 8 {
			n = 1
		}
		f.Put("AWS/Lambda", "Invocations", canary, at, n)
		f.Put("AWS/Lambda", "Errors", canary, at, 0)
		f.Put("AWS/Lambda", "Invocations", baseline, at, 90)
		f.Put("AWS/Lambda", "Errors", baseline, at, 0)
	}
	q := analysis.Query{Metric: analysis.MetricErrors, Canary: "7", Baseline: "6", From: start, To: start.Add(10 * time.Minute)}
	tests := []struct {
		name  string
		delay time.Duration
		to    time.Duration // query end after start
		want  int           // periods read per side
	}{
		{"no delay reads the partial periods", 0, 10 * time.Minute, 10},
		{"two minutes leave them out", 2 * time.Minute, 10 * time.Minute, 8},
		{"a delay inside a period rounds down", 90 * time.Second, 10 * time.Minute, 8},
		{"negative is no delay", -time.Minute, 10 * time.Minute, 10},
		{"no complete period yet", 2 * time.Minute, 2*time.Minute + 30*time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := cloudwatch.LambdaMetrics(metricsClient(f), "orders", "live", time.Minute).WithDelay(tt.delay)
			q := q
			q.To = start.Add(tt.to)
			c, b, err := src.Samples(t.Context(), q)
			if err != nil || len(c) != tt.want || len(b) != tt.want {
				t.Errorf("read %d canary and %d baseline periods (%v), want %d each", len(c), len(b), err, tt.want)
			}
		})
	}
}

// TestErrorsAsCounts: errors are counted over the window's complete
// periods (Errors and Invocations sums), so analysis judges them per
// request: 12 errors in 600 canary invocations against 3 in 5400 fail,
// where ten period rates could not tell.
func TestErrorsAsCounts(t *testing.T) {
	f := awsfake.NewCloudWatchMetrics(t)
	canary := map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "7"}
	baseline := map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "6"}
	for i := range 12 { // the last two periods are within the delay
		at := start.Add(time.Duration(i) * time.Minute)
		errs := 0.0
		if i%5 == 0 {
			errs = 6 // periods 0, 5 (and 10, left out)
		}
		f.Put("AWS/Lambda", "Invocations", canary, at, 60)
		f.Put("AWS/Lambda", "Errors", canary, at, errs)
		f.Put("AWS/Lambda", "Invocations", baseline, at, 540)
		f.Put("AWS/Lambda", "Errors", baseline, at, b01(i < 3))
	}
	src := cloudwatch.LambdaMetrics(metricsClient(f), "orders", "live", time.Minute).WithDelay(2 * time.Minute)
	q := analysis.Query{Metric: analysis.MetricErrors, Canary: "7", Baseline: "6", From: start, To: start.Add(12 * time.Minute)}
	got, ok, err := src.Counts(t.Context(), q)
	want := analysis.Counts{Canary: analysis.Count{Events: 12, Total: 600}, Baseline: analysis.Count{Events: 3, Total: 5400}}
	if err != nil || !ok || got != want {
		t.Fatalf("Counts = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, ok, err := src.Counts(t.Context(), analysis.Query{Metric: analysis.MetricLatency, Canary: "7", Baseline: "6", From: q.From, To: q.To}); ok || err != nil {
		t.Errorf("latency counted (%v, %v), want it left to Samples", ok, err)
	}
	cfg := analysis.Config{PerPeriod: true, Metrics: []analysis.Metric{{Name: analysis.MetricErrors, Effect: 0.5}}}
	j, err := analysis.Analyze(t.Context(), src, analysis.Request{Config: cfg, Canary: "7", Baseline: "6", From: q.From, To: q.To})
	if err != nil {
		t.Fatal(err)
	}
	m := j.Metrics[0]
	if j.Verdict != analysis.Fail || m.Counts == nil || m.CanaryCount != 600 || m.Test.Method != analysis.MethodExactBinary {
		t.Errorf("judgment %s (%s): %d canary values, method %s, counts %v; want fail from counts of 600", j.Verdict, j.Reason, m.CanaryCount, m.Test.Method, m.Counts)
	}
	// The same data as ten period rates: two periods of 10% among eight of
	// 0% do not pass the test.
	c, b, err := src.Samples(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := analysis.Judge(cfg, map[string]analysis.Samples{analysis.MetricErrors: {Canary: c, Baseline: b}})
	if err != nil || jp.Verdict == analysis.Fail {
		t.Errorf("per-period rates judged %s (%v); the point of counts is that they cannot tell", jp.Verdict, err)
	}
}
