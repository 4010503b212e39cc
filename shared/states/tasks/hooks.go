package tasks

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// Resources of the hooked integrations.
const (
	ECSRunTaskResource      = "arn:aws:states:::ecs:runTask"
	EventsPutEventsResource = "arn:aws:states:::events:putEvents"
	SNSPublishResource      = "arn:aws:states:::sns:publish"
)

// HookFunc performs an integration that has no local implementation. It
// gets the effective parameters and returns the task result.
type HookFunc func(ctx context.Context, params json.RawMessage) (json.RawMessage, error)

// Hook adapts a HookFunc to a task handler. For .waitForTaskToken resources
// the hook's result is ignored and the task waits for the token.
func Hook(fn HookFunc) states.TaskHandler {
	return states.TaskFunc(func(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
		out, err := fn(ctx, req.Input)
		if err != nil {
			return nil, err
		}
		if req.Pattern == states.WaitForTaskToken {
			return nil, nil
		}
		return out, nil
	})
}

// EventEntry is one entry of events:putEvents.
type EventEntry struct {
	Source       string          `json:"Source"`
	DetailType   string          `json:"DetailType"`
	Detail       json.RawMessage `json:"Detail"`
	EventBusName string          `json:"EventBusName"`
	Resources    []string        `json:"Resources"`
}

// PutEvents returns the events:putEvents handler: publish receives the
// entries (Detail given as an object is passed as its JSON) and the result is
// {"Entries":[{"EventId":…}],"FailedEntryCount":0} as EventBridge returns.
func PutEvents(publish func(ctx context.Context, entries []EventEntry) error) states.TaskHandler {
	return Hook(func(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
		var p struct {
			Entries []EventEntry `json:"Entries"`
		}
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, failure.Newf(failure.TaskFailed, "Invalid putEvents parameters: %v", err)
		}
		for i, e := range p.Entries {
			var s string
			if json.Unmarshal(e.Detail, &s) == nil {
				p.Entries[i].Detail = json.RawMessage(s)
			}
		}
		if err := publish(ctx, p.Entries); err != nil {
			return nil, err
		}
		entries := make([]any, len(p.Entries))
		for i := range entries {
			o := jsonvalue.NewObject(1)
			o.Set("EventId", uuid.NewString())
			entries[i] = o
		}
		res := jsonvalue.NewObject(2)
		res.Set("Entries", entries)
		res.Set("FailedEntryCount", jsonvalue.Number("0"))
		return jsonvalue.Marshal(res)
	})
}

// SNSMessage is the part of sns:publish parameters a hook usually needs.
type SNSMessage struct {
	TopicArn string          `json:"TopicArn"`
	Message  json.RawMessage `json:"Message"`
	Subject  string          `json:"Subject"`
}

// SNSPublish returns the sns:publish handler; the result is {"MessageId":…}.
func SNSPublish(publish func(ctx context.Context, msg SNSMessage) error) states.TaskHandler {
	return Hook(func(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
		var m SNSMessage
		if err := json.Unmarshal(params, &m); err != nil {
			return nil, failure.Newf(failure.TaskFailed, "Invalid sns:publish parameters: %v", err)
		}
		if err := publish(ctx, m); err != nil {
			return nil, err
		}
		res := jsonvalue.NewObject(1)
		res.Set("MessageId", uuid.NewString())
		return jsonvalue.Marshal(res)
	})
}

// Config lists the integrations to register; nil fields are left out.
type Config struct {
	Functions  Functions
	Starter    Starter
	DynamoDB   DynamoDBAPI
	ECSRunTask HookFunc
	PutEvents  func(ctx context.Context, entries []EventEntry) error
	SNSPublish func(ctx context.Context, msg SNSMessage) error
}

// Register adds the configured integrations to r, by prefix so that the
// .sync and .waitForTaskToken forms resolve too.
func Register(r *states.Registry, c Config) {
	if c.Functions != nil {
		h := Lambda(c.Functions)
		r.HandlePrefix(LambdaARNPrefix, h)
		r.HandlePrefix(LambdaInvokeResource, h)
	}
	if c.Starter != nil {
		r.HandlePrefix(StartExecutionResource, StartExecution(c.Starter))
	}
	if c.DynamoDB != nil {
		h := DynamoDB(c.DynamoDB)
		for _, res := range []string{DynamoDBGetItem, DynamoDBPutItem, DynamoDBUpdateItem, DynamoDBDeleteItem} {
			r.Handle(res, h)
		}
	}
	if c.ECSRunTask != nil {
		r.HandlePrefix(ECSRunTaskResource, Hook(c.ECSRunTask))
	}
	if c.PutEvents != nil {
		r.HandlePrefix(EventsPutEventsResource, PutEvents(c.PutEvents))
	}
	if c.SNSPublish != nil {
		r.HandlePrefix(SNSPublishResource, SNSPublish(c.SNSPublish))
	}
}
