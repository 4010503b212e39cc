package states_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/control/callbackstest"
	"github.com/shipwave/shipwave/shared/states"
)

// TestCallbacksContract runs the control.TaskCallbacks contract against the
// embedded engine: the same answers as shared/sfn gives on AWS.
func TestCallbacksContract(t *testing.T) {
	const def = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",%s"End":true}}}`
	callbackstest.Run(t, func(t *testing.T) callbackstest.Backend {
		tokens := make(chan string, 1)
		reg := states.NewRegistry()
		reg.HandlePrefix("arn:aws:states:::sqs:sendMessage", states.TaskFunc(func(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
			tokens <- req.Token
			return nil, nil
		}))
		eng := states.New(states.Options{Clock: states.NewVirtualClock(epoch), Tasks: reg})
		execs := map[string]*states.Execution{}
		start := func(t *testing.T, extra string) (string, *states.Execution) {
			x, err := eng.Start(context.Background(), mustParse(t, fmt.Sprintf(def, extra)), states.StartInput{Input: []byte(`{}`)})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			select {
			case tok := <-tokens:
				execs[tok] = x
				return tok, x
			case <-time.After(10 * time.Second):
				t.Fatal("the task never received its token")
			}
			return "", nil
		}
		wait := func(t *testing.T, x *states.Execution) states.Result {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := x.Wait(ctx)
			if err != nil {
				t.Fatalf("execution did not end: %v", err)
			}
			return res
		}
		return callbackstest.Backend{
			Callbacks: eng,
			Waiting:   func(t *testing.T) string { tok, _ := start(t, ""); return tok },
			Ended: func(t *testing.T, tok string) callbackstest.Outcome {
				res := wait(t, execs[tok])
				return callbackstest.Outcome{Succeeded: res.Status == states.StatusSucceeded, Output: string(res.Output), Error: res.Error, Cause: res.Cause}
			},
			TimedOut: func(t *testing.T) string {
				tok, x := start(t, `"TimeoutSeconds":5,`)
				if res := wait(t, x); res.Status != states.StatusFailed {
					t.Fatalf("execution %s, want it timed out", res.Status)
				}
				return tok
			},
			Unknown: "AQBunknown",
		}
	})
}
