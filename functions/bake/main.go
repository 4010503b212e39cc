// Command bake is the Lambda function behind deploy.asl.json's bake Tasks:
// register a bake's task token with the alarms it watches, and when the bake
// ends check the alarms and, for bakes that need data, the candidate's
// request count (CloudWatch metrics of the alias or target group).
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
	"github.com/shipwave/shipwave/shared/observe"
)

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("bake function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (any, error) {
	env, err := awsdeps.Env(getenv, "TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := awsdeps.Config(ctx, getenv("AWS_XRAY_DAEMON_ADDRESS"))
	if err != nil {
		return nil, err
	}
	logger = logger.With("function", "bake")
	d := awsdeps.Deps{Config: cfg, Table: env["TABLE_NAME"], Logger: logger, Metrics: observe.NewMetrics(os.Stdout, nil), Now: time.Now}
	svc := &control.Service{
		Store:    d.Store(),
		Alarms:   d.Alarms(),
		Requests: d.Requests(),
		Now:      time.Now,
		Logger:   logger,
	}
	return observe.Handler(logger, "bake", time.Now, svc.Bake), nil
}
