// Package codedeploy is a CodeDeploy-compatible lifecycle hook: for teams that
// keep CodeDeploy in charge of the traffic shift, its BeforeAllowTraffic or
// AfterAllowTraffic hook function runs Shipwave's checks (smoke requests, a
// load test with criteria) against the new version and reports the verdict
// with PutLifecycleEventHookExecutionStatus.
package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
)

// Event is what CodeDeploy sends a lifecycle hook function.
type Event struct {
	DeploymentID                  string `json:"DeploymentId"`
	LifecycleEventHookExecutionID string `json:"LifecycleEventHookExecutionId"`
}

// Reporter is the part of the CodeDeploy client the hook uses.
type Reporter interface {
	PutLifecycleEventHookExecutionStatus(ctx context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, optFns ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error)
}

var _ Reporter = (*codedeploy.Client)(nil)

// Check is one verdict on the new version; a non-nil error fails the hook
// and says why.
type Check interface {
	Name() string
	Run(ctx context.Context) error
}

// Result is what the hook decided and reported.
type Result struct {
	Status string   `json:"status"` // Succeeded or Failed
	Checks []string `json:"checks"` // one line per check
}

// Handler runs its checks in order (stopping at the first failure) and
// reports the verdict to CodeDeploy.
type Handler struct {
	Reporter Reporter
	Checks   []Check
	Logger   *slog.Logger
}

// Handle is the Lambda handler. A missing id is an error (nothing can be
// reported); a failed report is an error too, so Lambda retries it — the
// checks' verdict itself is never an error.
func (h *Handler) Handle(ctx context.Context, ev Event) (Result, error) {
	if ev.DeploymentID == "" || ev.LifecycleEventHookExecutionID == "" {
		return Result{}, fmt.Errorf("codedeploy hook: event needs DeploymentId and LifecycleEventHookExecutionId, got %+v", ev)
	}
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res := Result{Status: string(types.LifecycleEventStatusSucceeded), Checks: []string{}}
	for _, c := range h.Checks {
		if err := c.Run(ctx); err != nil {
			res.Status = string(types.LifecycleEventStatusFailed)
			res.Checks = append(res.Checks, fmt.Sprintf("%s: FAILED: %v", c.Name(), err))
			log.WarnContext(ctx, "hook check failed", "deploymentId", ev.DeploymentID, "check", c.Name(), "error", err)
			break
		}
		res.Checks = append(res.Checks, c.Name()+": passed")
	}
	_, err := h.Reporter.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId:                  aws.String(ev.DeploymentID),
		LifecycleEventHookExecutionId: aws.String(ev.LifecycleEventHookExecutionID),
		Status:                        types.LifecycleEventStatus(res.Status),
	})
	if err != nil {
		return res, fmt.Errorf("report %s for deployment %s: %w", res.Status, ev.DeploymentID, err)
	}
	log.InfoContext(ctx, "hook reported", "deploymentId", ev.DeploymentID, "status", res.Status, "checks", strings.Join(res.Checks, "; "))
	return res, nil
}

// Smoke sends Requests GETs to URL one after another; every one must answer
// 2xx within Timeout.
type Smoke struct {
	URL      string
	Requests int
	Timeout  time.Duration
	Client   *http.Client
}

// Name describes the check.
func (s Smoke) Name() string { return fmt.Sprintf("smoke %d× GET %s", max(1, s.Requests), s.URL) }

// Run sends the requests.
func (s Smoke) Run(ctx context.Context) error {
	if s.URL == "" {
		return errors.New("smoke: no URL configured")
	}
	client := s.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	for i := range max(1, s.Requests) {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		req, err := http.NewRequestWithContext(rctx, http.MethodGet, s.URL, nil)
		if err != nil {
			cancel()
			return fmt.Errorf("smoke: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			return fmt.Errorf("smoke request %d: %w", i+1, err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		cancel()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("smoke request %d: %s answered %d", i+1, s.URL, resp.StatusCode)
		}
	}
	return nil
}

// LoadTest runs a load test against the new version and judges it by
// Criteria, exactly as Shipwave's own load-test stage does.
type LoadTest struct {
	Config   loadtest.Config
	Criteria release.Criteria
}

// Name describes the check.
func (l LoadTest) Name() string { return "load test " + l.Config.URL }

// Run generates the load and evaluates the merged result.
func (l LoadTest) Run(ctx context.Context) error {
	r, err := loadtest.Run(ctx, l.Config)
	if err != nil {
		return fmt.Errorf("load test: %w", err)
	}
	if v := loadtest.Evaluate(r, l.Criteria); !v.Passed {
		return fmt.Errorf("load test: %s", v.Reason)
	}
	return nil
}
