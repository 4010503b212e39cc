// Command schedule is the target of the EventBridge Scheduler schedules
// made from pipelines' cron triggers: each firing ({"pipeline", "rule",
// "scheduledTime"}) releases the pipeline's latest good version once.
//
// Environment: TABLE_NAME, STATE_MACHINE_ARN.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/sfnstart"
	"github.com/shipwave/shipwave/shared/store"
)

type settings struct {
	Table, StateMachineARN string
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Table: getenv("TABLE_NAME"), StateMachineARN: getenv("STATE_MACHINE_ARN")}
	var errs []error
	if s.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME is not set"))
	}
	if s.StateMachineARN == "" {
		errs = append(errs, errors.New("STATE_MACHINE_ARN is not set"))
	} else if _, err := sfnstart.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
		errs = append(errs, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
	}
	return s, errors.Join(errs...)
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "schedule")
	r, err := newRunner(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("schedule function cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(r.Fire)
}

func newRunner(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*scheduler.Runner, error) {
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
	return &scheduler.Runner{
		Specs:    st,
		Releases: st,
		Launcher: &chatops.Launcher{Specs: st, Releases: st, Starter: &sfnstart.Starter{Client: sfn.NewFromConfig(cfg), StateMachineARN: s.StateMachineARN}, Logger: logger},
		Logger:   logger,
	}, nil
}
