package selfinvoke_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/selfinvoke"
)

type job struct {
	Verb string `json:"verb"`
}

// TestSendThenHandle: a job sent through the real SDK client reaches the
// fake Lambda as an asynchronous invocation, and its payload, handed to
// Handler, runs the job and not the event handler.
func TestSendThenHandle(t *testing.T) {
	fake := awsfake.NewLambda(t)
	fake.AddFunction("shipwave-slack", "sha-1")
	s := selfinvoke.Sender{Client: lambda.NewFromConfig(awsfake.Config(fake.URL())), Function: "shipwave-slack", Kind: "slack"}
	if err := s.Send(context.Background(), job{Verb: "deploy"}); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests("Invoke")
	if len(reqs) != 1 || reqs[0].Params["InvocationType"] != "Event" {
		t.Fatalf("invocations = %+v, want one of type Event", reqs)
	}
	p, _ := reqs[0].Params["Payload"].(string)
	payload := json.RawMessage(p)

	var ran []string
	var handled int
	var logs bytes.Buffer
	h := selfinvoke.Handler("slack",
		func(context.Context, map[string]any) (string, error) { handled++; return "answered", nil },
		func(_ context.Context, raw json.RawMessage) error {
			var j job
			if err := json.Unmarshal(raw, &j); err != nil {
				return err
			}
			ran = append(ran, j.Verb)
			return errors.New("follow-up failed")
		}, slog.New(slog.NewJSONHandler(&logs, nil)))
	out, err := h(context.Background(), payload)
	if err != nil || out != nil || handled != 0 || strings.Join(ran, ",") != "deploy" {
		t.Fatalf("job: out %v, err %v, handled %d, ran %v; want the job run once and no error (a returned error would make Lambda run it again)", out, err, handled, ran)
	}
	if !strings.Contains(logs.String(), "follow-up failed") {
		t.Errorf("the job's error is not logged: %s", logs.String())
	}
	if out, err := h(context.Background(), json.RawMessage(`{"shipwaveJob":"other","job":{}}`)); err != nil || out != nil || len(ran) != 1 {
		t.Errorf("a job of another kind: %v, %v, ran %v; want it dropped", out, err, ran)
	}
	if out, err := h(context.Background(), json.RawMessage(`{"rawPath":"/slack","body":"{\"shipwaveJob\":\"slack\"}"}`)); err != nil || out != "answered" || handled != 1 {
		t.Errorf("an event whose body looks like a job: %v, %v; want it handled as an event", out, err)
	}
}

func TestSendNeedsAFunction(t *testing.T) {
	if err := (selfinvoke.Sender{Kind: "slack"}).Send(context.Background(), job{}); err == nil {
		t.Error("Send without a function name succeeded")
	}
}
