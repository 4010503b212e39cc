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
	"time"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/loadtest"
)

func main() { awsdeps.Start("loadtest-aggregate", newHandler) }

// aggregate serves a with errors turned into the state machine's named
// errors (an invalid run is InvalidInput, a throttled read TransientError).
func aggregate(a *loadtest.Aggregator) func(context.Context, loadtest.AggregateInput) (loadtest.Report, error) {
	return func(ctx context.Context, in loadtest.AggregateInput) (loadtest.Report, error) {
		rep, err := a.Handle(ctx, in)
		return rep, control.Boundary(err)
	}
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, loadtest.AggregateInput) (loadtest.Report, error), error) {
	f, err := awsdeps.Load(ctx, "loadtest-aggregate", getenv, logger)
	if err != nil {
		return nil, err
	}
	d := f.Deps
	a := &loadtest.Aggregator{Source: d.LoadTestResults(), Events: d.Store(), Now: time.Now}
	return awsdeps.Task(f, aggregate(a)), nil
}
