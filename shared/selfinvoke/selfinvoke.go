// Package selfinvoke lets a Lambda function hand work to a later
// invocation of itself, for work that must outlive an answer: AWS Lambda
// freezes an invocation once its handler returns, background goroutines
// and all, so "answer now, finish in the background" stalls there.
//
// Sender.Send invokes the function asynchronously (InvocationType Event)
// with an envelope naming the job's kind; Handler routes such an envelope
// to the job's runner and everything else (API Gateway requests) to the
// function's usual handler. Only a caller allowed lambda:InvokeFunction on
// the function can send an envelope: an HTTP request's body arrives nested
// in its API Gateway event, never as the event itself.
//
// A Sender may also name another function that serves jobs with Handler:
// the bake function starts the synthetic function (shared/synthetic) so.
package selfinvoke

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// API is the Lambda call Sender makes.
type API interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Sender invokes Function (the running function's name: Lambda sets
// AWS_LAMBDA_FUNCTION_NAME) asynchronously with jobs of Kind.
type Sender struct {
	Client   API
	Function string
	Kind     string
}

// envelope marks an invocation as a job of this package's, not an event.
type envelope struct {
	Kind string          `json:"shipwaveJob"`
	Job  json.RawMessage `json:"job"`
}

// Send queues job for a later invocation. Lambda accepts it (202) or
// Send returns why not; nothing runs in this invocation.
func (s Sender) Send(ctx context.Context, job any) error {
	if s.Function == "" || s.Kind == "" {
		return fmt.Errorf("selfinvoke: function and kind are required")
	}
	b, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("selfinvoke %s: encode the job: %w", s.Kind, err)
	}
	payload, err := json.Marshal(envelope{Kind: s.Kind, Job: b})
	if err != nil {
		return fmt.Errorf("selfinvoke %s: %w", s.Kind, err)
	}
	if _, err := s.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(s.Function),
		InvocationType: types.InvocationTypeEvent, Payload: payload}); err != nil {
		return fmt.Errorf("selfinvoke %s: invoke %s: %w", s.Kind, s.Function, err)
	}
	return nil
}

// Handler returns a Lambda handler: an envelope of kind goes to run, any
// other event is decoded as Req and goes to handle. run's error is logged,
// not returned, because Lambda retries an asynchronous invocation that
// failed and would run the job again. Lambda may still deliver an event
// more than once, so a job must be safe to run twice (the Slack commands
// are keyed by their request id; a second approval finds none waiting).
func Handler[Req, Resp any](kind string, handle func(context.Context, Req) (Resp, error), run func(context.Context, json.RawMessage) error, logger *slog.Logger) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var env envelope
		if err := json.Unmarshal(raw, &env); err == nil && env.Kind != "" {
			if env.Kind != kind {
				logger.ErrorContext(ctx, "job of an unknown kind dropped", "kind", env.Kind)
				return nil, nil
			}
			if err := run(ctx, env.Job); err != nil {
				logger.ErrorContext(ctx, "job failed", "kind", kind, "error", err.Error())
			}
			return nil, nil
		}
		var req Req
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("decode the event: %w", err)
		}
		return handle(ctx, req)
	}
}
