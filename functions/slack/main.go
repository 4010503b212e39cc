// Command slack is the Lambda function behind the API Gateway HTTP API route
// Slack's /ship slash command (and its interactive buttons) calls. It
// verifies Slack's signature with the signing secret (cached), refuses
// replays, and deploys, reports, approves, rejects, rolls back, undoes and
// restores (moving Lambda alias and ALB weights itself, as the rollback
// function does) within each pipeline's chat allow-lists. A command that
// changes something, and every button press, is answered at once and run
// by an asynchronous invocation of this same function (shared/selfinvoke):
// Lambda freezes an invocation once it has answered, so it cannot finish in
// the background.
//
// Environment: TABLE_NAME, STATE_MACHINE_ARN (the release state machine),
// SLACK_SECRET_ID (Secrets Manager id of the signing secret, or
// "ssm:<parameter>" for a Parameter Store SecureString), and
// AWS_LAMBDA_FUNCTION_NAME (set by Lambda).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/auth/ssmparam"
	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/selfinvoke"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/triggers"
)

type settings struct {
	StateMachineARN, SigningSecret string
	// FunctionName is this function's own name (Lambda sets it): slow
	// commands are deferred to a later invocation of it.
	FunctionName string
}

// jobKind names the slow commands this function defers to itself.
const jobKind = "slack-command"

func loadSettings(getenv func(string) string) (settings, error) {
	env, err := awsdeps.Env(getenv, "STATE_MACHINE_ARN", "SLACK_SECRET_ID")
	s := settings{StateMachineARN: env["STATE_MACHINE_ARN"], SigningSecret: env["SLACK_SECRET_ID"], FunctionName: getenv("AWS_LAMBDA_FUNCTION_NAME")}
	errs := []error{err}
	if s.StateMachineARN != "" {
		if _, err := sfn.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
			errs = append(errs, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
		}
	}
	return s, errors.Join(errs...)
}

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("slack function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(entry(h, logger))
}

// entry serves API Gateway requests, and the commands h deferred to a later
// invocation of this function.
func entry(h *slack.Handler, logger *slog.Logger) func(context.Context, json.RawMessage) (any, error) {
	return selfinvoke.Handler(jobKind, apigw.Handler(h), h.RunJSON, logger)
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*slack.Handler, error) {
	s, err := loadSettings(getenv)
	f, ferr := awsdeps.Load(ctx, "slack", getenv, logger)
	if err := errors.Join(ferr, err); err != nil {
		return nil, err
	}
	d, logger := f.Deps, f.Logger
	cfg := d.Config
	st, callbacks := d.Store(), d.Callbacks()
	ops := &chatops.Ops{
		Store:     st,
		Launcher:  &triggers.Launcher{Specs: st, Releases: st, Starter: &sfn.Starter{Client: awssfn.NewFromConfig(cfg), StateMachineARN: s.StateMachineARN}, Logger: logger},
		Decider:   &control.Service{Store: st, Creator: st, Shifters: d.Shifters(), Synthetic: d.SyntheticStops(), Callbacks: callbacks, Now: time.Now, Logger: logger},
		Callbacks: callbacks,
		Refusals:  st,
		Logger:    logger,
	}
	h := &slack.Handler{
		Secrets:       auth.NewCache(secretSource(cfg), 5*time.Minute, time.Now),
		SigningSecret: s.SigningSecret,
		Replays:       st,
		Ops:           ops,
		Logger:        logger,
	}
	if s.FunctionName != "" {
		// On Lambda an invocation freezes once it has answered, so a
		// command that changes something runs in the next invocation.
		sender := selfinvoke.Sender{Client: awslambda.NewFromConfig(cfg), Function: s.FunctionName, Kind: jobKind}
		h.Defer = slack.DeferFunc(func(ctx context.Context, job slack.Job) error { return sender.Send(ctx, job) })
	}
	return h, nil
}

// secretSource reads "ssm:<parameter name>" ids from Parameter Store and
// every other id from Secrets Manager.
func secretSource(cfg aws.Config) auth.Secrets {
	// Secrets Manager ids are versioned: a rotation's AWSPENDING and
	// AWSPREVIOUS values verify too (auth.VerifyWithSecret).
	return auth.Prefixed{Prefix: "ssm:", Prefixed: ssmparam.New(ssm.NewFromConfig(cfg)), Default: secretsmanager.New(sm.NewFromConfig(cfg))}
}
