package codedeploy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/hooks/codedeploy"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
)

// service is a real HTTP server whose answers the test controls.
func service(t *testing.T, failEvery int) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failEvery > 0 && n.Add(1)%int64(failEvery) == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"version":"2"}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestHookReportsVerdict(t *testing.T) {
	tests := []struct {
		name      string
		failEvery int
		loadTest  bool
		want      string
		wantCheck string
	}{
		{"healthy smoke", 0, false, "Succeeded", "passed"},
		{"failing smoke", 3, false, "Failed", "answered 500"},
		{"healthy load test", 0, true, "Succeeded", "passed"},
		{"load test over the error budget", 2, true, "Failed", "errorRate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := service(t, tt.failEvery)
			fake := awsfake.NewJSONService(t)
			fake.Handle("PutLifecycleEventHookExecutionStatus", func(in map[string]any) (any, *awsfake.APIError) {
				return map[string]any{"lifecycleEventHookExecutionId": in["lifecycleEventHookExecutionId"]}, nil
			})
			var checks []codedeploy.Check
			if tt.loadTest {
				checks = append(checks, codedeploy.LoadTest{
					Config:   loadtest.Config{RunID: "hook", URL: svc.URL, Mode: loadtest.ModeConcurrency, Concurrency: 2, HoldFor: 300 * time.Millisecond},
					Criteria: release.Criteria{ErrorRate: 0.01},
				})
			} else {
				checks = append(checks, codedeploy.Smoke{URL: svc.URL, Requests: 5})
			}
			h := &codedeploy.Handler{Reporter: cd.NewFromConfig(awsfake.Config(fake.URL())), Checks: checks}
			res, err := h.Handle(context.Background(), codedeploy.Event{DeploymentID: "d-ABC123", LifecycleEventHookExecutionID: "hook-1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.want || !strings.Contains(strings.Join(res.Checks, " "), tt.wantCheck) {
				t.Errorf("result = %+v, want %s with %q", res, tt.want, tt.wantCheck)
			}
			reqs := fake.Requests("PutLifecycleEventHookExecutionStatus")
			if len(reqs) != 1 {
				t.Fatalf("%d status reports, want 1", len(reqs))
			}
			p := reqs[0].Params
			if p["deploymentId"] != "d-ABC123" || p["lifecycleEventHookExecutionId"] != "hook-1" || p["status"] != tt.want {
				t.Errorf("reported %v, want deployment d-ABC123, hook-1, %s", p, tt.want)
			}
		})
	}
}

func TestHookRejectsEventWithoutIDs(t *testing.T) {
	fake := awsfake.NewJSONService(t)
	h := &codedeploy.Handler{Reporter: cd.NewFromConfig(awsfake.Config(fake.URL()))}
	if _, err := h.Handle(context.Background(), codedeploy.Event{DeploymentID: "d-1"}); err == nil {
		t.Error("want an error for a missing LifecycleEventHookExecutionId")
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d requests sent for a bad event, want 0", n)
	}
}

func TestHookReportFailureIsRetried(t *testing.T) {
	fake := awsfake.NewJSONService(t)
	fake.Handle("PutLifecycleEventHookExecutionStatus", func(map[string]any) (any, *awsfake.APIError) { return struct{}{}, nil })
	fake.Inject(awsfake.Fault{Operation: "PutLifecycleEventHookExecutionStatus", Status: 400, Code: "ThrottlingException", Times: 2})
	h := &codedeploy.Handler{Reporter: cd.NewFromConfig(awsfake.Config(fake.URL())), Checks: []codedeploy.Check{codedeploy.Smoke{URL: service(t, 0).URL}}}
	if _, err := h.Handle(context.Background(), codedeploy.Event{DeploymentID: "d-1", LifecycleEventHookExecutionID: "h"}); err != nil {
		t.Fatalf("want the SDK to retry the throttled report, got %v", err)
	}
	if n := len(fake.Requests("PutLifecycleEventHookExecutionStatus")); n != 3 {
		t.Errorf("%d report attempts, want 3", n)
	}
}
