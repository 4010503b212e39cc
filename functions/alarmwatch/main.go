// Command alarmwatch is the Lambda function behind the alarm-state-change
// rule: a CloudWatch alarm that went to ALARM fails every bake watching it,
// so its deploy rolls back within seconds.
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
)

func main() { awsdeps.Start("alarmwatch", newHandler) }

// watcher is what the handler needs of control.Service.
type watcher interface {
	AlarmChanged(ctx context.Context, c alarms.Change) (control.AlarmResult, error)
}

// handle parses the EventBridge event and hands the change to w. A
// malformed event is an InvalidInput error (EventBridge retries, then the
// dead-letter queue keeps it).
func handle(w watcher) func(context.Context, events.CloudWatchEvent) (control.AlarmResult, error) {
	return func(ctx context.Context, ev events.CloudWatchEvent) (control.AlarmResult, error) {
		c, err := alarms.ParseStateChange(ev)
		if err != nil {
			return control.AlarmResult{}, &control.InvalidInput{Message: err.Error()}
		}
		return w.AlarmChanged(ctx, c)
	}
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, events.CloudWatchEvent) (control.AlarmResult, error), error) {
	f, err := awsdeps.Load(ctx, "alarmwatch", getenv, logger)
	if err != nil {
		return nil, err
	}
	d, logger := f.Deps, f.Logger
	svc := &control.Service{Store: d.Store(), Callbacks: d.Callbacks(), Now: d.Now, Logger: logger}
	return awsdeps.Task(f, handle(svc)), nil
}
