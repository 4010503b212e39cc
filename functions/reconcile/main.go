// Command reconcile is the Lambda function behind the
// execution-status-change rule: when a release or deploy execution fails,
// times out or is aborted while its release is still in progress, it puts
// every target the release left mid-shift back on its last good version
// and marks the release FAILED.
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
)

func main() { awsdeps.Start("reconcile", newHandler) }

// reconciler is what the handler needs of control.Service.
type reconciler interface {
	Reconcile(ctx context.Context, c control.ExecutionChange) (control.ReconcileResult, error)
}

// Source and DetailType of the events this function accepts.
const (
	Source     = "aws.states"
	DetailType = "Step Functions Execution Status Change"
)

// executionDetail is the event's detail; error and cause may be null.
type executionDetail struct {
	ExecutionArn string  `json:"executionArn"`
	Name         string  `json:"name"`
	Status       string  `json:"status"`
	Input        *string `json:"input"`
	Error        *string `json:"error"`
	Cause        *string `json:"cause"`
}

// ParseExecutionChange reads a Step Functions status change event.
func ParseExecutionChange(ev events.CloudWatchEvent) (control.ExecutionChange, error) {
	if ev.Source != Source || ev.DetailType != DetailType {
		return control.ExecutionChange{}, fmt.Errorf("event %s: source %q detail-type %q, want %q %q", ev.ID, ev.Source, ev.DetailType, Source, DetailType)
	}
	var d executionDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return control.ExecutionChange{}, fmt.Errorf("event %s: detail: %v", ev.ID, err)
	}
	if d.ExecutionArn == "" || d.Status == "" {
		return control.ExecutionChange{}, fmt.Errorf("event %s: detail.executionArn and detail.status are required", ev.ID)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return control.ExecutionChange{ExecutionArn: d.ExecutionArn, Name: d.Name, Status: d.Status,
		Input: str(d.Input), Error: str(d.Error), Cause: str(d.Cause)}, nil
}

func handle(r reconciler) func(context.Context, events.CloudWatchEvent) (control.ReconcileResult, error) {
	return func(ctx context.Context, ev events.CloudWatchEvent) (control.ReconcileResult, error) {
		c, err := ParseExecutionChange(ev)
		if err != nil {
			return control.ReconcileResult{}, &control.InvalidInput{Message: err.Error()}
		}
		return r.Reconcile(ctx, c)
	}
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, events.CloudWatchEvent) (control.ReconcileResult, error), error) {
	f, err := awsdeps.Load(ctx, "reconcile", getenv, logger)
	if err != nil {
		return nil, err
	}
	d, logger := f.Deps, f.Logger
	svc := &control.Service{Store: d.Store(), Shifters: d.Shifters(), Synthetic: d.SyntheticStops(), Now: d.Now, Logger: logger}
	return awsdeps.Task(f, handle(svc)), nil
}
