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
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/jobworker"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/triggers"
)

type settings struct {
	StateMachineARN string
	MaxWait         time.Duration
}

func loadSettings(getenv func(string) string) (settings, error) {
	env, err := awsdeps.Env(getenv, "STATE_MACHINE_ARN")
	s := settings{StateMachineARN: env["STATE_MACHINE_ARN"], MaxWait: jobworker.DefaultMaxWait}
	errs := []error{err}
	if s.StateMachineARN != "" {
		if _, err := sfn.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
			errs = append(errs, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
		}
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
	logger := observe.NewLogger(os.Stdout)
	w, err := newWorker(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("codepipeline function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(observe.Handler(logger, "codepipeline", time.Now, w.Handle))
}

func newWorker(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*jobworker.Worker, error) {
	s, err := loadSettings(getenv)
	f, ferr := awsdeps.Load(ctx, "codepipeline", getenv, logger)
	if err := errors.Join(ferr, err); err != nil {
		return nil, err
	}
	d, logger := f.Deps, f.Logger
	cfg := d.Config
	st := d.Store()
	return &jobworker.Worker{
		Client:   codepipeline.NewFromConfig(cfg),
		Launcher: &triggers.Launcher{Specs: st, Releases: st, Starter: &sfn.Starter{Client: awssfn.NewFromConfig(cfg), StateMachineARN: s.StateMachineARN}, Logger: logger},
		Releases: st,
		MaxWait:  s.MaxWait,
		Logger:   logger,
	}, nil
}
