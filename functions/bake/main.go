// Command bake is the Lambda function behind deploy.asl.json's bake Tasks:
// register a bake's task token with the alarms it watches, and when the bake
// ends check the alarms and, for bakes that need data, the candidate's
// request count (CloudWatch metrics of the alias or target group) and, for
// steps with canary analysis, the canary's metrics against the baseline's
// (CloudWatch GetMetricData, per period). A quiet Lambda alias target's
// analysis step may get synthetic requests: the bake starts the synthetic
// function (SYNTHETIC_FUNCTION) and its check stops it.
//
// Environment: TABLE_NAME, SYNTHETIC_FUNCTION.
package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
)

func main() { awsdeps.Start("bake", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, json.RawMessage) (json.RawMessage, error), error) {
	f, err := awsdeps.Load(ctx, "bake", getenv, logger, "SYNTHETIC_FUNCTION")
	if err != nil {
		return nil, err
	}
	d := f.Deps
	svc := &control.Service{
		Store:     d.Store(),
		Alarms:    d.Alarms(),
		Requests:  d.Requests(),
		Analysis:  d.Analysis(),
		Synthetic: d.Synthetic(f.Settings.Extra["SYNTHETIC_FUNCTION"]),
		Now:       d.Now,
		Logger:    f.Logger,
	}
	return awsdeps.Task(f, svc.BakeFunction().Handle), nil
}
