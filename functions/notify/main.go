// Command notify is the Lambda function that announces releases on AWS: it
// is fed by the Shipwave table's DynamoDB stream (an event source mapping
// whose filter passes only new event-log items of the kinds notify
// announces) and sends each to the destinations of its pipeline's notify
// list — Slack, SNS topics, signed webhooks — through notify.Notifier.
// Nothing in a release waits for it: a slow or broken destination is
// retried, then logged, and never fails a release.
//
// Environment: TABLE_NAME, NOTIFY_SECRET_ID (the Secrets Manager secret
// that signs generic webhooks, read once at start).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/notify/notifystream"
	"github.com/shipwave/shipwave/shared/snspub"
)

func main() { awsdeps.Start("notify", newHandler) }

// newHandler reads the configuration and builds the handler, or says what
// is missing.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	f, err := awsdeps.Load(ctx, "notify", getenv, logger, "NOTIFY_SECRET_ID")
	if err != nil {
		return nil, err
	}
	d := f.Deps
	secret, err := secretsmanager.New(sm.NewFromConfig(d.Config)).Secret(ctx, f.Settings.Extra["NOTIFY_SECRET_ID"])
	if err != nil {
		return nil, fmt.Errorf("notify: read the webhook signing secret: %w", err)
	}
	n := &notify.Notifier{
		Store: d.Store(),
		Sender: &notify.Sender{
			HTTP:   &http.Client{Timeout: 10 * time.Second},
			Secret: secret,
			SNS:    snspub.Publisher{Client: sns.NewFromConfig(d.Config)},
			Now:    d.Now,
		},
		Logger: f.Logger,
	}
	h := &notifystream.Handler{Notifier: n, Logger: f.Logger}
	return awsdeps.Task(f, h.Handle), nil
}
