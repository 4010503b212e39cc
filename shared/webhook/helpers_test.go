package webhook_test

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/triggers"
)

type eventArg = events.CloudWatchEvent

type handlerFunc func(ctx context.Context, ev events.CloudWatchEvent) (triggers.Result, error)

func (f handlerFunc) Handle(ctx context.Context, ev events.CloudWatchEvent) (triggers.Result, error) {
	return f(ctx, ev)
}
