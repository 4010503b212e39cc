// Command approval is the Lambda function behind the approval gate's waitForTaskToken Task: it stores the token until an approver decides through the api function.
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"log/slog"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
)

func main() { awsdeps.Start("approval", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, control.ApprovalInput) (struct{}, error), error) {
	f, err := awsdeps.Load(ctx, "approval", getenv, logger)
	if err != nil {
		return nil, err
	}
	d := f.Deps
	svc := &control.Service{
		Store:  d.Store(),
		Now:    d.Now,
		Logger: f.Logger,
	}
	return awsdeps.Task(f, svc.RegisterApproval), nil
}
