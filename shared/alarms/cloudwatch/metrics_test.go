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
				t.Errorf("ForTarget = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	// The ALB source derived from the listener reads the balancer's metrics.
	lb := "app/shop/50dc6c495c0c9188"
	dims := map[string]string{"TargetGroup": "targetgroup/green/1", "LoadBalancer": lb}
	base := map[string]string{"TargetGroup": "targetgroup/blue/2", "LoadBalancer": lb}
	for i := range 3 {
		at := start.Add(time.Duration(i) * time.Minute)
		f.Put("AWS/ApplicationELB", "TargetResponseTime", dims, at, 0.2)
		f.Put("AWS/ApplicationELB", "TargetResponseTime", base, at, 0.1)
	}
	src, err := cloudwatch.MetricsFor(metricsClient(f), tests[2].target, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, b, err := src.Samples(t.Context(), analysis.Query{Metric: analysis.MetricLatency, Canary: "targetgroup/green/1", Baseline: "targetgroup/blue/2", From: start, To: start.Add(3 * time.Minute)})
	if err != nil || len(c) != 3 || c[0] != 200 || len(b) != 3 || b[0] != 100 {
		t.Errorf("samples %v %v %v, want 3×200 ms and 3×100 ms", c, b, err)
	}
}
