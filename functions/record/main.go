// Command record is the Lambda function behind the release state machine's bookkeeping Tasks (begin, stageStart, window, waveResult, stageDone, finish).
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/schedule"
)

func main() { awsdeps.Start("record", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, json.RawMessage) (json.RawMessage, error), error) {
	f, err := awsdeps.Load(ctx, "record", getenv, logger)
	if err != nil {
		return nil, err
	}
	d := f.Deps
	svc := &control.Service{
		Store:    d.Store(),
		Shifters: d.Shifters(),
		Windows:  control.WindowFunc(schedule.NextOpen),
		Now:      d.Now,
		Logger:   f.Logger,
	}
	return awsdeps.Task(f, svc.RecordFunction().Handle), nil
}
