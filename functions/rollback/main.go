// Command rollback is the Lambda function behind deploy.asl.json's Rollback Task: put the target back on its last good version and fail the bakes of its wave's sibling targets. A restore stops the target's synthetic traffic (a run in the table; this function never starts one).
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"log/slog"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
)

func main() { awsdeps.Start("rollback", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, control.RollbackInput) (control.TargetOutcome, error), error) {
	f, err := awsdeps.Load(ctx, "rollback", getenv, logger)
	if err != nil {
		return nil, err
	}
	d := f.Deps
	svc := &control.Service{
		Store:     d.Store(),
		Shifters:  d.Shifters(),
		Callbacks: d.Callbacks(),
		Synthetic: d.SyntheticStops(),
		Now:       d.Now,
		Logger:    f.Logger,
	}
	return awsdeps.Task(f, svc.Rollback), nil
}
