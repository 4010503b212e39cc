// Command shift is the Lambda function behind deploy.asl.json's Shift Tasks: prepare the candidate, check alarms before traffic moves, and move traffic one plan step.
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

func main() { awsdeps.Start("shift", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, json.RawMessage) (json.RawMessage, error), error) {
	f, err := awsdeps.Load(ctx, "shift", getenv, logger)
	if err != nil {
		return nil, err
	}
	d := f.Deps
	svc := &control.Service{
		Store:    d.Store(),
		Shifters: d.Shifters(),
		Alarms:   d.Alarms(),
		Windows:  control.WindowFunc(schedule.NextOpen),
		Now:      d.Now,
		Logger:   f.Logger,
	}
	return awsdeps.Task(f, svc.ShiftFunction().Handle), nil
}
