// Command schedule is the target of the EventBridge Scheduler schedules
// made from pipelines' cron triggers: each firing ({"pipeline", "rule",
// "scheduledTime"}) releases the pipeline's latest good version once: the
// head of a CodeCommit source branch, otherwise the newest version its
// releases did not fail. Its role needs codecommit:GetBranch.
//
// Environment: TABLE_NAME, STATE_MACHINE_ARN.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/codecommit"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/triggers"
)

type settings struct {
	StateMachineARN string
}

func loadSettings(getenv func(string) string) (settings, error) {
	env, err := awsdeps.Env(getenv, "STATE_MACHINE_ARN")
	s := settings{StateMachineARN: env["STATE_MACHINE_ARN"]}
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
	r, err := newRunner(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("schedule function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(observe.Handler(logger, "schedule", time.Now, r.Fire))
}

func newRunner(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*scheduler.Runner, error) {
	s, err := loadSettings(getenv)
	f, ferr := awsdeps.Load(ctx, "schedule", getenv, logger)
	if err := errors.Join(ferr, err); err != nil {
		return nil, err
	}
	d, logger := f.Deps, f.Logger
	cfg := d.Config
	st := d.Store()
	return &scheduler.Runner{
		Specs:    st,
		Releases: st,
		Heads:    codecommit.NewHeads(awscc.NewFromConfig(cfg)),
		Launcher: &triggers.Launcher{Specs: st, Releases: st, Starter: &sfn.Starter{Client: awssfn.NewFromConfig(cfg), StateMachineARN: s.StateMachineARN}, Logger: logger},
		Logger:   logger,
	}, nil
}
