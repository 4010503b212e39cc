package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/shipwave/shipwave/shared/triggers"
)

// PutEventsAPI is the part of the EventBridge client EventBridge uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridge publishes pushes as "Git Push" events (source
// shipwave.webhook) on an event bus, where a rule sends them to the push
// trigger.
type EventBridge struct {
	Client PutEventsAPI
	// Bus is the event bus name or ARN; empty means the default bus.
	Bus string
}

// Publish puts one event; a failed entry is an error naming its code.
func (e EventBridge) Publish(ctx context.Context, p triggers.GitPush) error {
	detail, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("publish push %s: encode: %w", p.DeliveryID, err)
	}
	entry := ebtypes.PutEventsRequestEntry{
		Source:     aws.String(triggers.SourceWebhook),
		DetailType: aws.String(triggers.DetailTypeGitPush),
		Detail:     aws.String(string(detail)),
		Resources:  []string{},
	}
	if e.Bus != "" {
		entry.EventBusName = aws.String(e.Bus)
	}
	out, err := e.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return fmt.Errorf("publish push %s: %w", p.DeliveryID, err)
	}
	if out.FailedEntryCount > 0 {
		code, msg := "", ""
		if len(out.Entries) > 0 {
			code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		return fmt.Errorf("publish push %s: event rejected: %s: %s", p.DeliveryID, code, msg)
	}
	return nil
}

// EventHandler handles an EventBridge event in-process, as the push
// trigger's triggers.Handler.Handle does.
type EventHandler interface {
	Handle(ctx context.Context, ev events.CloudWatchEvent) (triggers.Result, error)
}

// Direct hands pushes straight to the push trigger in-process, wrapped in
// the event EventBridge would deliver; local mode uses it. Now defaults to
// time.Now.
type Direct struct {
	Trigger EventHandler
	Now     func() time.Time
}

// Publish calls the trigger and returns its error.
func (d Direct) Publish(ctx context.Context, p triggers.GitPush) error {
	detail, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("publish push %s: encode: %w", p.DeliveryID, err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ev := events.CloudWatchEvent{
		Version: "0", ID: "webhook-" + p.Provider + "-" + p.DeliveryID, DetailType: triggers.DetailTypeGitPush,
		Source: triggers.SourceWebhook, Time: now().UTC(), Region: "local", Resources: []string{}, Detail: detail,
	}
	if _, err := d.Trigger.Handle(ctx, ev); err != nil {
		return fmt.Errorf("publish push %s: %w", p.DeliveryID, err)
	}
	return nil
}
