// Command lock is the Lambda function behind deploy.asl.json's Lock Task: it takes the target's lease.
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"log/slog"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

func main() { awsdeps.Start("lock", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, control.LockInput) (release.Lock, error), error) {
	f, err := awsdeps.Load(ctx, "lock", getenv, logger)
	if err != nil {
		return nil, err
	}
	d := f.Deps
	svc := &control.Service{
		Store:  d.Store(),
		Now:    d.Now,
		Logger: f.Logger,
	}
	return awsdeps.Task(f, svc.Lock), nil
}
