// Command finalize is the Lambda function behind deploy.asl.json's Finalize Task: promote the candidate to 100% and record the target's new good version.
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"log/slog"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
)

func main() { awsdeps.Start("finalize", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, control.FinalizeInput) (control.TargetOutcome, error), error) {
	f, err := awsdeps.Load(ctx, "finalize", getenv, logger)
	if err != nil {
		return nil, err
	}
	d := f.Deps
	svc := &control.Service{
		Store:    d.Store(),
		Shifters: d.Shifters(),
		Now:      d.Now,
		Logger:   f.Logger,
	}
	return awsdeps.Task(f, svc.Finalize), nil
}
