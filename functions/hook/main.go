// Command hook is the Lambda function behind deploy.asl.json's pre- and post-traffic hook Tasks (Lambda hooks, and HTTP hooks signed with the secret HOOK_SECRET_ARN names).
//
// Environment: TABLE_NAME, HOOK_SECRET_ARN.
package main

import (
	"context"
	"log/slog"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
)

func main() { awsdeps.Start("hook", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, control.HookInput) (struct{}, error), error) {
	f, err := awsdeps.Load(ctx, "hook", getenv, logger, "HOOK_SECRET_ARN")
	if err != nil {
		return nil, err
	}
	d := f.Deps
	runner, err := d.Hooks(ctx, f.Settings.Extra["HOOK_SECRET_ARN"])
	if err != nil {
		return nil, err
	}
	svc := &control.Service{
		Store:  d.Store(),
		Hooks:  runner,
		Now:    d.Now,
		Logger: f.Logger,
	}
	return awsdeps.Task(f, svc.Hook), nil
}
