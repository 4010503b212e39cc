package cloudwatch_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
)

func TestCandidateRequests(t *testing.T) {
	now := time.Date(2026, 3, 10, 14, 30, 20, 0, time.UTC)
	fake := awsfake.NewCloudWatchMetrics(t)
	lambdaDims := map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "7"}
	fake.Put("AWS/Lambda", "Invocations", lambdaDims, now.Add(-20*time.Minute), 500) // before the bake
	fake.Put("AWS/Lambda", "Invocations", lambdaDims, now.Add(-9*time.Minute), 40)
	fake.Put("AWS/Lambda", "Invocations", lambdaDims, now.Add(-time.Minute), 2)
	fake.Put("AWS/Lambda", "Invocations", map[string]string{"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "6"}, now.Add(-time.Minute), 900)
	const (
		listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2"
		green    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-green/943f017f100becff"
	)
	fake.Put("AWS/ApplicationELB", "RequestCount", map[string]string{"TargetGroup": "targetgroup/shop-green/943f017f100becff", "LoadBalancer": "app/shop/50dc6c495c0c9188"}, now.Add(-2*time.Minute), 1234)
	r := cloudwatch.NewRequests(cw.NewFromConfig(awsfake.Config(fake.URL())), func() time.Time { return now })

	lambdaTarget := release.Target{Name: "orders-live", Type: release.TargetLambdaAlias, Function: "orders", Alias: "live"}
	ecsTarget := release.Target{Name: "shop", Type: release.TargetECSBlueGreen, ListenerARN: listener}
	tests := []struct {
		name      string
		target    release.Target
		candidate string
		since     time.Time
		want      int64
		wantKind  error
	}{
		{"lambda alias since the bake", lambdaTarget, "7", now.Add(-10 * time.Minute), 42, nil},
		{"lambda alias other version", lambdaTarget, "8", now.Add(-10 * time.Minute), 0, nil},
		{"alb target group", ecsTarget, green, now.Add(-10 * time.Minute), 1234, nil},
		{"long bake uses a wider period", lambdaTarget, "7", now.Add(-30 * time.Hour), 542, nil},
		{"since in the future", lambdaTarget, "7", now.Add(time.Hour), 0, nil},
		{"alb candidate not an ARN", ecsTarget, "shop-green", now.Add(-time.Minute), 0, release.ErrInvalid},
		{"alb listener not an ARN", release.Target{Name: "shop", Type: release.TargetECSBlueGreen, ListenerARN: "x"}, green, now, 0, release.ErrInvalid},
		{"local target", release.Target{Name: "dev", Type: release.TargetLocal}, "v1", now, 0, release.ErrInvalid},
		{"missing alias", release.Target{Name: "o", Type: release.TargetLambdaAlias, Function: "orders"}, "7", now, 0, release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.CandidateRequests(context.Background(), tt.target, tt.candidate, tt.since)
			if tt.wantKind != nil {
				if !errors.Is(err, tt.wantKind) {
					t.Fatalf("err = %v, want %v", err, tt.wantKind)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("CandidateRequests = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	reqs := fake.Requests("GetMetricStatistics")
	if len(reqs) == 0 {
		t.Fatal("no GetMetricStatistics requests")
	}
	if p := reqs[0].Params["Period"]; p != int64(60) {
		t.Errorf("first query Period = %v, want 60", p)
	}
	if p := reqs[3].Params["Period"]; p != int64(300) {
		t.Errorf("30-hour query Period = %v, want 300 (at most 1,440 datapoints)", p)
	}
}

func TestCandidateRequestsServiceError(t *testing.T) {
	fake := awsfake.NewCloudWatchMetrics(t)
	fake.Inject(awsfake.Fault{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "bad"})
	r := cloudwatch.NewRequests(cw.NewFromConfig(awsfake.Config(fake.URL())), nil)
	_, err := r.CandidateRequests(context.Background(), release.Target{Name: "o", Type: release.TargetLambdaAlias, Function: "orders", Alias: "live"}, "7", time.Now().Add(-time.Hour))
	if err == nil {
		t.Fatal("got nil error, want the service's")
	}
}
