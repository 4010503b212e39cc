// Command synthetic is the Lambda function that sends synthetic requests
// to a quiet Lambda alias target's canary and baseline versions while an
// analysis step bakes (analysis.synthetic). The bake function starts it
// with an asynchronous invocation carrying a synthetic.Job; it invokes the
// two versions directly (never the alias, so CloudWatch keeps these
// requests apart from real traffic), alternately, at most the job's rps,
// with the step's payload, counts what it sent in the run's table item,
// stops when the run is stopped (the bake's check, a restore) or at the
// job's end, and hands the rest of the run to a new invocation of itself
// before its own timeout.
//
// Environment: TABLE_NAME and AWS_LAMBDA_FUNCTION_NAME (set by Lambda).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/selfinvoke"
	"github.com/shipwave/shipwave/shared/synthetic"
)

func main() { awsdeps.Start("synthetic", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, json.RawMessage) (any, error), error) {
	f, err := awsdeps.Load(ctx, "synthetic", getenv, logger, "AWS_LAMBDA_FUNCTION_NAME")
	if err != nil {
		return nil, err
	}
	d := f.Deps
	client := awslambda.NewFromConfig(d.Config)
	s := &synthetic.Sender{
		Lambda:  client,
		Counter: d.SyntheticCounter(),
		Chain:   selfinvoke.Sender{Client: client, Function: f.Settings.Extra["AWS_LAMBDA_FUNCTION_NAME"], Kind: synthetic.JobKind},
		Logger:  f.Logger,
	}
	run := func(ctx context.Context, raw json.RawMessage) error {
		var job synthetic.Job
		if err := json.Unmarshal(raw, &job); err != nil {
			return fmt.Errorf("decode the synthetic job: %w", err)
		}
		return s.Run(ctx, job)
	}
	notAJob := func(context.Context, json.RawMessage) (any, error) {
		return nil, fmt.Errorf("the synthetic function runs synthetic jobs only (the bake function sends them)")
	}
	return selfinvoke.Handler(synthetic.JobKind, notAJob, run, f.Logger), nil
}
