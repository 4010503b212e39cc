// Command hook is the Lambda function behind deploy.asl.json's pre- and post-traffic hook Tasks (Lambda hooks, and HTTP hooks signed with the secret HOOK_SECRET_ARN names).
//
// Environment: TABLE_NAME, HOOK_SECRET_ARN.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/observe"
)

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("hook function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (any, error) {
	env, err := awsdeps.Env(getenv, "TABLE_NAME", "HOOK_SECRET_ARN")
	if err != nil {
		return nil, err
	}
	cfg, err := awsdeps.Config(ctx, getenv("AWS_XRAY_DAEMON_ADDRESS"))
	if err != nil {
		return nil, err
	}
	logger = logger.With("function", "hook")
	d := awsdeps.Deps{Config: cfg, Table: env["TABLE_NAME"], Logger: logger, Metrics: observe.NewMetrics(os.Stdout, nil), Now: time.Now}
	runner, err := d.Hooks(ctx, env["HOOK_SECRET_ARN"])
	if err != nil {
		return nil, err
	}
	svc := &control.Service{
		Store:  d.Store(),
		Hooks:  runner,
		Now:    time.Now,
		Logger: logger,
	}
	return observe.Handler(logger, "hook", time.Now, svc.Hook), nil
}
