// Command codedeploy-hook is a CodeDeploy BeforeAllowTraffic/AfterAllowTraffic
// hook function that runs Shipwave's checks against the new version and
// reports the verdict to CodeDeploy.
//
// Environment: SMOKE_URL (required), SMOKE_REQUESTS (default 5),
// LOADTEST_RPS and LOADTEST_HOLD_FOR (optional: run a load test too),
// LOADTEST_MAX_ERROR_RATE (default 0.01), LOADTEST_P99 (optional).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	cdhook "github.com/shipwave/shipwave/shared/hooks/codedeploy"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
)

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), logger)
	if err != nil {
		logger.Error("codedeploy-hook: bad configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context, logger *slog.Logger) (*cdhook.Handler, error) {
	url := os.Getenv("SMOKE_URL")
	if url == "" {
		return nil, fmt.Errorf("SMOKE_URL is required")
	}
	requests, err := intEnv("SMOKE_REQUESTS", 5)
	if err != nil {
		return nil, err
	}
	checks := []cdhook.Check{cdhook.Smoke{URL: url, Requests: requests}}
	if rps := os.Getenv("LOADTEST_RPS"); rps != "" {
		r, err := strconv.ParseFloat(rps, 64)
		if err != nil {
			return nil, fmt.Errorf("LOADTEST_RPS: %w", err)
		}
		hold, err := durationEnv("LOADTEST_HOLD_FOR", time.Minute)
		if err != nil {
			return nil, err
		}
		p99, err := durationEnv("LOADTEST_P99", 0)
		if err != nil {
			return nil, err
		}
		maxErr, err := strconv.ParseFloat(envOr("LOADTEST_MAX_ERROR_RATE", "0.01"), 64)
		if err != nil {
			return nil, fmt.Errorf("LOADTEST_MAX_ERROR_RATE: %w", err)
		}
		checks = append(checks, cdhook.LoadTest{
			Config:   loadtest.Config{RunID: "codedeploy-hook", URL: url, Mode: loadtest.ModeRate, RPS: r, HoldFor: hold},
			Criteria: release.Criteria{P99: p99, ErrorRate: maxErr},
		})
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	tracer, err := observe.NewTracer(os.Getenv("AWS_XRAY_DAEMON_ADDRESS"), nil)
	if err != nil {
		return nil, err
	}
	tracer.Instrument(&cfg.APIOptions) // X-Ray subsegments for every AWS call
	return &cdhook.Handler{Reporter: codedeploy.NewFromConfig(cfg), Checks: checks, Logger: logger}, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func intEnv(k string, def int) (int, error) {
	n, err := strconv.Atoi(envOr(k, strconv.Itoa(def)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", k, err)
	}
	return n, nil
}

func durationEnv(k string, def time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(envOr(k, def.String()))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", k, err)
	}
	return d, nil
}
