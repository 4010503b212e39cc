// Command codepipeline is the Lambda function of a CodePipeline "Invoke
// Lambda" action: it starts a Shipwave release per job (UserParameters
// {"pipeline": "...", "version": "..."}; the version defaults to the input
// artifact's revision), reports progress with continuation tokens and ends
// the job with the release's outcome and output variables.
//
// Environment: TABLE_NAME, STATE_MACHINE_ARN, MAX_WAIT (optional Go
// duration, default 12h).
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
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/jobworker"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/sfnstart"
	"github.com/shipwave/shipwave/shared/store"
)

type settings struct {
	Table, StateMachineARN string
	MaxWait                time.Duration
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Table: getenv("TABLE_NAME"), StateMachineARN: getenv("STATE_MACHINE_ARN"), MaxWait: jobworker.DefaultMaxWait}
	var errs []error
	if s.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME is not set"))
	}
	if s.StateMachineARN == "" {
		errs = append(errs, errors.New("STATE_MACHINE_ARN is not set"))
	} else if _, err := sfnstart.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
		errs = append(errs, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
	}
	if v := getenv("MAX_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("MAX_WAIT %q is not a positive duration such as 6h", v))
		}
		s.MaxWait = d
	}
	return s, errors.Join(errs...)
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "codepipeline")
	w, err := newWorker(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("codepipeline function cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(w.Handle)
}

func newWorker(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*jobworker.Worker, error) {
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
	return &jobworker.Worker{
		Client:   codepipeline.NewFromConfig(cfg),
		Launcher: &chatops.Launcher{Specs: st, Releases: st, Starter: &sfnstart.Starter{Client: sfn.NewFromConfig(cfg), StateMachineARN: s.StateMachineARN}, Logger: logger},
		Releases: st,
		MaxWait:  s.MaxWait,
		Logger:   logger,
	}, nil
}
