// Command loadtest-aggregate is the Lambda function behind
// loadtest.asl.json's Aggregate Task: it merges the HDR histograms every
// load-generator task stored in the table and judges them against the
// wave's criteria. Its answer carries passed (the state machine's Choice
// reads it) and summary (the Fail state's cause when the test failed).
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
)

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("loadtest-aggregate function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

// Input is the Aggregate Task's Parameters.
type Input struct {
	RunID     string                 `json:"runId"`
	ReleaseID string                 `json:"releaseId"`
	Pipeline  string                 `json:"pipeline"`
	Stage     string                 `json:"stage"`
	Wave      string                 `json:"wave"`
	Target    release.Target         `json:"target"`
	LoadTest  *control.LoadTestInput `json:"loadTest"`
}

// Output is what the Task puts at $.report.
type Output struct {
	Passed  bool            `json:"passed"`
	Summary string          `json:"summary"`
	Report  loadtest.Report `json:"report"`
}

// aggregate judges the run of in from the results src holds.
func aggregate(src loadtest.Source) func(context.Context, Input) (Output, error) {
	return func(ctx context.Context, in Input) (Output, error) {
		if in.LoadTest == nil {
			return Output{}, &control.InvalidInput{Message: fmt.Sprintf("load test %s: loadTest is required", in.RunID)}
		}
		tasks := max(1, in.LoadTest.Tasks)
		rep, err := loadtest.Aggregate(ctx, src, in.RunID, tasks, in.LoadTest.Criteria)
		if err != nil {
			return Output{}, control.Boundary(err)
		}
		out := Output{Passed: rep.Verdict.Passed, Report: rep}
		s := rep.Summary
		out.Summary = fmt.Sprintf("load test %s on %s: %d of %d tasks reported, %d requests, %.1f rps, error rate %.2f%%, p50 %.0fms p90 %.0fms p99 %.0fms",
			in.RunID, in.Target.Name, len(rep.Reported), tasks, s.Requests, s.RPS, 100*s.ErrorRate, s.P50Ms, s.P90Ms, s.P99Ms)
		if !rep.Verdict.Passed {
			out.Summary = "FAILED: " + rep.Verdict.Reason + " (" + out.Summary + ")"
		}
		return out, nil
	}
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, Input) (Output, error), error) {
	env, err := awsdeps.Env(getenv, "TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := awsdeps.Config(ctx, getenv("AWS_XRAY_DAEMON_ADDRESS"))
	if err != nil {
		return nil, err
	}
	logger = logger.With("function", "loadtest-aggregate")
	d := awsdeps.Deps{Config: cfg, Table: env["TABLE_NAME"], Logger: logger, Now: time.Now}
	return observe.Handler(logger, "loadtest-aggregate", time.Now, aggregate(d.LoadTestResults())), nil
}
