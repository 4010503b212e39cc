// Command loadtest-aggregate is the Lambda function behind
// loadtest.asl.json's Aggregate Task: it merges the HDR histograms every
// load-generator task stored in the table, judges them against the wave's
// criteria (loadtest.Aggregator) and records LoadTestPassed or
// LoadTestFailed in the release's log. Its report carries passed (the
// state machine's Choice reads it) and summary (the Fail state's cause).
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/observe"
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

// aggregate serves a with errors turned into the state machine's named
// errors (an invalid run is InvalidInput, a throttled read TransientError).
func aggregate(a *loadtest.Aggregator) func(context.Context, loadtest.AggregateInput) (loadtest.Report, error) {
	return func(ctx context.Context, in loadtest.AggregateInput) (loadtest.Report, error) {
		rep, err := a.Handle(ctx, in)
		return rep, control.Boundary(err)
	}
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, loadtest.AggregateInput) (loadtest.Report, error), error) {
	env, err := awsdeps.Env(getenv, "TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := awsdeps.Config(ctx, getenv("AWS_XRAY_DAEMON_ADDRESS"))
	if err != nil {
		return nil, err
	}
	logger = logger.With("function", "loadtest-aggregate")
	d := awsdeps.Deps{Config: cfg, Table: env["TABLE_NAME"], Logger: logger, Metrics: observe.NewMetrics(os.Stdout, nil), Now: time.Now}
	a := &loadtest.Aggregator{Source: d.LoadTestResults(), Events: d.Store(), Now: time.Now}
	return observe.Handler(logger, "loadtest-aggregate", time.Now, aggregate(a)), nil
}
