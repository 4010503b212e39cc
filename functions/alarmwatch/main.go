// Command alarmwatch is the Lambda function behind the alarm-state-change
// rule: a CloudWatch alarm that went to ALARM fails every bake watching it,
// so its deploy rolls back within seconds.
//
// Environment: TABLE_NAME.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/observe"
)

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("alarmwatch function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

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
	env, err := awsdeps.Env(getenv, "TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := awsdeps.Config(ctx, getenv("AWS_XRAY_DAEMON_ADDRESS"))
	if err != nil {
		return nil, err
	}
	logger = logger.With("function", "alarmwatch")
	d := awsdeps.Deps{Config: cfg, Table: env["TABLE_NAME"], Logger: logger, Metrics: observe.NewMetrics(os.Stdout, nil), Now: time.Now}
	svc := &control.Service{Store: d.Store(), Callbacks: d.Callbacks(), Now: time.Now, Logger: logger}
	return observe.Handler(logger, "alarmwatch", time.Now, handle(svc)), nil
}
