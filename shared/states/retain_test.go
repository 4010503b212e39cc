package states_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

const passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// runNamed runs passDef to its end on eng under name and returns its ARN.
func runNamed(tb testing.TB, eng *states.Engine, name string) string {
	tb.Helper()
	x, res, err := eng.Run(context.Background(), mustParse(tb, passDef), states.StartInput{Name: name})
	if err != nil || res.Status != states.StatusSucceeded {
		tb.Fatalf("run %s: got %v %s, want SUCCEEDED", name, err, res.Status)
	}
	return x.ARN()
}

func TestRetainFinished(t *testing.T) {
	tests := []struct {
		name   string
		retain int
		runs   []string
		want   map[string]bool // name -> still found by ARN
	}{
		{"keeps the last two", 2, []string{"a", "b", "c"}, map[string]bool{"a": false, "b": true, "c": true}},
		{"keeps the last one", 1, []string{"a", "b", "c"}, map[string]bool{"a": false, "b": false, "c": true}},
		{"default keeps all of a few", 0, []string{"a", "b", "c"}, map[string]bool{"a": true, "b": true, "c": true}},
		{"negative keeps all", -1, []string{"a", "b", "c"}, map[string]bool{"a": true, "b": true, "c": true}},
		{"reused name is not dropped with the old one", 1, []string{"a", "b", "a"}, map[string]bool{"a": true, "b": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := states.New(states.Options{Clock: states.NewVirtualClock(epoch), RetainFinished: tt.retain})
			arns := map[string]string{}
			for _, n := range tt.runs {
				arns[n] = runNamed(t, eng, n)
			}
			for n, want := range tt.want {
				if _, got := eng.Execution(arns[n]); got != want {
					t.Errorf("Execution(%s): got found=%v, want %v", n, got, want)
				}
			}
		})
	}
}

func TestRetainKeepsRunningExecutions(t *testing.T) {
	reg, bind := tokenTask(nil) // the task waits for a token nobody sends
	eng := states.New(states.Options{Clock: states.NewVirtualClock(epoch), Tasks: reg, RetainFinished: 1})
	bind(eng)
	waiting, err := eng.Start(context.Background(), mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task",
	  "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`), states.StartInput{Name: "waiting"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		runNamed(t, eng, n)
	}
	if _, ok := eng.Execution(waiting.ARN()); !ok {
		t.Fatalf("running execution was forgotten")
	}
	waiting.Stop("Stopped", "by the test")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if res, err := waiting.Wait(ctx); err != nil || res.Status != states.StatusAborted {
		t.Fatalf("Wait: got %v %s, want ABORTED", err, res.Status)
	}
	if _, ok := eng.Execution(waiting.ARN()); !ok {
		t.Fatalf("just-finished execution was forgotten")
	}
	runNamed(t, eng, "d")
	if _, ok := eng.Execution(waiting.ARN()); ok {
		t.Errorf("stopped execution still found after a newer one finished, want it forgotten")
	}
}

func TestRetainForgetsTimedOutTokens(t *testing.T) {
	tokens := make(chan string, 1)
	reg := states.NewRegistry()
	reg.HandlePrefix("arn:aws:states:::sqs:sendMessage", states.TaskFunc(func(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
		tokens <- req.Token
		return nil, nil
	}))
	eng := states.New(states.Options{Clock: states.NewVirtualClock(epoch), Tasks: reg, RetainFinished: 1})
	_, res, err := eng.Run(context.Background(), mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task",
	  "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","TimeoutSeconds":5,"End":true}}}`), states.StartInput{})
	if err != nil || res.Error != "States.Timeout" {
		t.Fatalf("got %v %s %s, want States.Timeout", err, res.Status, res.Error)
	}
	tok := <-tokens
	if err := eng.SendTaskSuccess(context.Background(), tok, []byte(`{}`)); !isFailure(err, states.ErrTaskTimedOut) {
		t.Fatalf("SendTaskSuccess while retained: got %v, want %s", err, states.ErrTaskTimedOut)
	}
	runNamed(t, eng, "next")
	if err := eng.SendTaskSuccess(context.Background(), tok, []byte(`{}`)); !isFailure(err, states.ErrTaskDoesNotExist) {
		t.Errorf("SendTaskSuccess after the execution was forgotten: got %v, want %s", err, states.ErrTaskDoesNotExist)
	}
}

func TestRetainManyExecutions(t *testing.T) {
	const retain, runs = 5, 300
	eng := states.New(states.Options{Clock: states.NewVirtualClock(epoch), RetainFinished: retain})
	arns := make([]string, runs)
	for i := range arns {
		arns[i] = runNamed(t, eng, fmt.Sprintf("x%d", i))
	}
	for i, arn := range arns {
		_, got := eng.Execution(arn)
		if want := i >= runs-retain; got != want {
			t.Errorf("execution %d: got found=%v, want %v", i, got, want)
		}
	}
}
