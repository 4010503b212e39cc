// Command slack is the Lambda function behind the API Gateway HTTP API route
// Slack's /ship slash command calls. It verifies Slack's signature with the
// signing secret from Secrets Manager (cached), refuses replays, and
// deploys, reports, approves, rejects and rolls back within each
// pipeline's chat allow-lists.
//
// Environment: TABLE_NAME, STATE_MACHINE_ARN (the release state machine),
// SLACK_SECRET_ID (Secrets Manager id of the signing secret).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/chatops/sfncallbacks"
	"github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/sfnstart"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/webhook/httpapi"
)

type settings struct {
	Table, StateMachineARN, SigningSecret string
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Table: getenv("TABLE_NAME"), StateMachineARN: getenv("STATE_MACHINE_ARN"), SigningSecret: getenv("SLACK_SECRET_ID")}
	var errs []error
	for name, v := range map[string]string{"TABLE_NAME": s.Table, "STATE_MACHINE_ARN": s.StateMachineARN, "SLACK_SECRET_ID": s.SigningSecret} {
		if v == "" {
			errs = append(errs, errors.New(name+" is not set"))
		}
	}
	if s.StateMachineARN != "" {
		if _, err := sfnstart.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
			errs = append(errs, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
		}
	}
	return s, errors.Join(errs...)
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "slack")
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("slack function cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(httpapi.Handler(h))
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*slack.Handler, error) {
	s, err := loadSettings(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	tracer, err := observe.NewTracer(getenv("AWS_XRAY_DAEMON_ADDRESS"), nil)
	if err != nil {
		return nil, err
	}
	tracer.Instrument(&cfg.APIOptions) // X-Ray subsegments for every AWS call
	st := store.New(dynamodb.NewFromConfig(cfg), s.Table)
	sfnClient := sfn.NewFromConfig(cfg)
	callbacks := sfncallbacks.New(sfnClient)
	ops := &chatops.Ops{
		Store:     st,
		Launcher:  &chatops.Launcher{Specs: st, Releases: st, Starter: &sfnstart.Starter{Client: sfnClient, StateMachineARN: s.StateMachineARN}, Logger: logger},
		Decider:   &control.Service{Store: st, Callbacks: callbacks, Logger: logger},
		Callbacks: callbacks,
		Logger:    logger,
	}
	return &slack.Handler{
		Secrets:       auth.NewCache(secretsmanager.New(sm.NewFromConfig(cfg)), 5*time.Minute, time.Now),
		SigningSecret: s.SigningSecret,
		Replays:       st,
		Ops:           ops,
		Logger:        logger,
	}, nil
}
