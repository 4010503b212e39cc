package states_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

const fnArn = "arn:aws:lambda:us-east-1:123456789012:function:f"

func TestWaitUsesVirtualTime(t *testing.T) {
	tests := []struct {
		name  string
		wait  string
		input string
		want  time.Duration
	}{
		{"Seconds", `"Seconds":3600`, `{}`, time.Hour},
		{"SecondsPath", `"SecondsPath":"$.s"`, `{"s":90}`, 90 * time.Second},
		{"Timestamp", `"Timestamp":"2024-01-02T00:00:00Z"`, `{}`, 24 * time.Hour},
		{"TimestampPath", `"TimestampPath":"$.t"`, `{"t":"2024-01-01T00:00:10+00:00"}`, 10 * time.Second},
		{"Timestamp in the past", `"Timestamp":"2020-01-01T00:00:00Z"`, `{}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"W","States":{"W":{"Type":"Wait",%s,"End":true}}}`, tt.wait)
			start := time.Now()
			res, x := runMachine(t, def, tt.input, states.Options{})
			if res.Status != states.StatusSucceeded {
				t.Fatalf("got %s %s %s, want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			if string(res.Output) != tt.input {
				t.Errorf("got output %s, want %s", res.Output, tt.input)
			}
			if got := x.StopDate().Sub(x.StartDate()); got != tt.want {
				t.Errorf("got virtual duration %v, want %v", got, tt.want)
			}
			if real := time.Since(start); real > 2*time.Second {
				t.Errorf("wait took %v of real time", real)
			}
		})
	}
}

func TestWaitPathFailures(t *testing.T) {
	tests := []struct {
		name, wait, input string
	}{
		{"negative seconds", `"SecondsPath":"$.s"`, `{"s":-1}`},
		{"string seconds", `"SecondsPath":"$.s"`, `{"s":"10"}`},
		{"missing seconds", `"SecondsPath":"$.s"`, `{}`},
		{"bad timestamp", `"TimestampPath":"$.t"`, `{"t":"tomorrow"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"W","States":{"W":{"Type":"Wait",%s,"End":true}}}`, tt.wait)
			res, _ := runMachine(t, def, tt.input, states.Options{})
			if res.Status != states.StatusFailed || res.Error != failure.Runtime {
				t.Fatalf("got %s %s, want FAILED States.Runtime", res.Status, res.Error)
			}
			if !strings.HasPrefix(res.Cause, "An error occurred while executing the state 'W' (entered at the event id #2). ") {
				t.Errorf("got cause %q, want the state prefix", res.Cause)
			}
		})
	}
}

func TestParallelWaitsOverlapInVirtualTime(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
	  {"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":10,"Next":"A2"},"A2":{"Type":"Pass","Result":"a","End":true}}},
	  {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":30,"Next":"B2"},"B2":{"Type":"Pass","Result":"b","End":true}}}]}}}`
	res, x := runMachine(t, def, `{}`, states.Options{})
	if res.Status != states.StatusSucceeded || string(res.Output) != `["a","b"]` {
		t.Fatalf("got %s %s, want SUCCEEDED [\"a\",\"b\"]", res.Status, res.Output)
	}
	if got := x.StopDate().Sub(x.StartDate()); got != 30*time.Second {
		t.Errorf("got %v of virtual time, want 30s (branches run concurrently)", got)
	}
}

func TestMapMaxConcurrency(t *testing.T) {
	tests := []struct {
		name    string
		maxConc string
		want    time.Duration
	}{
		{"unbounded", `0`, 10 * time.Second},
		{"one at a time", `1`, 40 * time.Second},
		{"two at a time", `2`, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":%s,"End":true,
			  "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}}}}`, tt.maxConc)
			res, x := runMachine(t, def, `[1,2,3,4]`, states.Options{})
			if res.Status != states.StatusSucceeded || string(res.Output) != `[1,2,3,4]` {
				t.Fatalf("got %s %s, want SUCCEEDED [1,2,3,4]", res.Status, res.Output)
			}
			if got := x.StopDate().Sub(x.StartDate()); got != tt.want {
				t.Errorf("got %v of virtual time, want %v", got, tt.want)
			}
		})
	}
}

func TestMapToleratedFailures(t *testing.T) {
	fails := states.TaskFunc(func(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
		if strings.Contains(string(req.Input), "bad") {
			return nil, failure.New("Bad", "bad item")
		}
		return req.Input, nil
	})
	tests := []struct {
		name      string
		tolerance string
		input     string
		status    string
		errName   string
		output    string
	}{
		{"no tolerance fails with the item error", ``, `["ok","bad"]`, states.StatusFailed, "Bad", ""},
		{"count tolerates", `"ToleratedFailureCount":1,`, `["ok","bad"]`, states.StatusSucceeded, "", `["ok"]`},
		{"count exceeded", `"ToleratedFailureCount":1,`, `["bad","ok","bad"]`, states.StatusFailed, failure.ExceedToleratedFailureThreshold, ""},
		{"percentage tolerates", `"ToleratedFailurePercentage":50,`, `["bad","ok"]`, states.StatusSucceeded, "", `["ok"]`},
		{"percentage exceeded", `"ToleratedFailurePercentage":50,`, `["bad","bad","ok"]`, states.StatusFailed, failure.ExceedToleratedFailureThreshold, ""},
		{"count from path", `"ItemsPath":"$.items","ToleratedFailureCountPath":"$.tolerate",`, `{"tolerate":2,"items":["bad","bad"]}`, states.StatusSucceeded, "", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map",%s"MaxConcurrency":1,"End":true,
			  "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"%s","End":true}}}}}}`, tt.tolerance, fnArn)
			res, _ := runMachine(t, def, tt.input, states.Options{Tasks: handlers(map[string]states.TaskFunc{fnArn: fails})})
			if res.Status != tt.status || res.Error != tt.errName {
				t.Fatalf("got %s %s (%s), want %s %s", res.Status, res.Error, res.Cause, tt.status, tt.errName)
			}
			if tt.output != "" && string(res.Output) != tt.output {
				t.Errorf("got output %s, want %s", res.Output, tt.output)
			}
		})
	}
}

func TestRetryBackoff(t *testing.T) {
	tests := []struct {
		name   string
		retry  string
		random states.Random
		want   []time.Duration // gaps between attempts
	}{
		{"defaults", `{"ErrorEquals":["E"]}`, nil, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"backoff and cap", `{"ErrorEquals":["E"],"IntervalSeconds":2,"BackoffRate":3,"MaxDelaySeconds":10,"MaxAttempts":3}`, nil, []time.Duration{2 * time.Second, 6 * time.Second, 10 * time.Second}},
		{"full jitter", `{"ErrorEquals":["E"],"IntervalSeconds":2,"MaxAttempts":2,"JitterStrategy":"FULL"}`, fixedRandom(0.5), []time.Duration{time.Second, 2 * time.Second}},
		{"max attempts zero", `{"ErrorEquals":["E"],"MaxAttempts":0}`, nil, nil},
		{"States.ALL", `{"ErrorEquals":["States.ALL"],"MaxAttempts":1}`, nil, []time.Duration{time.Second}},
		{"not matching", `{"ErrorEquals":["Other"]}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var calls []time.Time
			clock := states.NewVirtualClock(epoch)
			h := states.TaskFunc(func(context.Context, states.TaskRequest) (json.RawMessage, error) {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, clock.Now())
				return nil, failure.New("E", "always")
			})
			def := fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"%s","Retry":[%s],"End":true}}}`, fnArn, tt.retry)
			res, _ := runMachine(t, def, `{}`, states.Options{Clock: clock, Random: tt.random, Tasks: handlers(map[string]states.TaskFunc{fnArn: h})})
			if res.Status != states.StatusFailed || res.Error != "E" || res.Cause != "always" {
				t.Fatalf("got %s %s %s, want FAILED E always", res.Status, res.Error, res.Cause)
			}
			var gaps []time.Duration
			for i := 1; i < len(calls); i++ {
				gaps = append(gaps, calls[i].Sub(calls[i-1]))
			}
			if fmt.Sprint(gaps) != fmt.Sprint(tt.want) {
				t.Errorf("got gaps %v, want %v", gaps, tt.want)
			}
		})
	}
}

func TestRuntimeErrorsAreNotCaught(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Parameters":{"x.$":"$.missing"},
	  "Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`
	res, _ := runMachine(t, def, `{"a":1}`, states.Options{Tasks: handlers(map[string]states.TaskFunc{fnArn: echo})})
	want := `An error occurred while executing the state 'T' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{"a":1}'`
	if res.Status != states.StatusFailed || res.Error != failure.Runtime || res.Cause != want {
		t.Errorf("got %s %s %q, want FAILED States.Runtime %q", res.Status, res.Error, res.Cause, want)
	}
}

func TestTaskFailedMatchesAllButTimeout(t *testing.T) {
	tests := []struct {
		name   string
		thrown string
		caught bool
	}{
		{"custom error", "MyError", true},
		{"lambda error", "Lambda.ServiceException", true},
		{"timeout", failure.Timeout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := states.TaskFunc(func(context.Context, states.TaskRequest) (json.RawMessage, error) {
				return nil, failure.New(tt.thrown, "c")
			})
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`
			res, _ := runMachine(t, def, `{}`, states.Options{Tasks: handlers(map[string]states.TaskFunc{fnArn: h})})
			if got := res.Status == states.StatusSucceeded; got != tt.caught {
				t.Errorf("got caught %v (%s %s), want %v", got, res.Status, res.Error, tt.caught)
			}
		})
	}
}

func TestPlainGoErrorIsTaskFailed(t *testing.T) {
	h := states.TaskFunc(func(context.Context, states.TaskRequest) (json.RawMessage, error) {
		return nil, errors.New("disk full")
	})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","End":true}}}`
	res, _ := runMachine(t, def, `{}`, states.Options{Tasks: handlers(map[string]states.TaskFunc{fnArn: h})})
	if res.Error != failure.TaskFailed || res.Cause != "disk full" {
		t.Errorf("got %s %q, want States.TaskFailed \"disk full\"", res.Error, res.Cause)
	}
}

// tokenTask registers a waitForTaskToken handler that hands the token to
// answer in a new goroutine.
func tokenTask(answer func(eng *states.Engine, token string)) (*states.Registry, func(*states.Engine)) {
	var eng atomic.Pointer[states.Engine]
	r := states.NewRegistry()
	r.HandlePrefix("arn:aws:states:::sqs:sendMessage", states.TaskFunc(func(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
		if answer != nil {
			// The answering goroutine is an activity the virtual clock
			// must wait for.
			e := eng.Load()
			e.Clock().Spawn()
			go func() {
				defer e.Clock().Park()
				answer(e, req.Token)
			}()
		}
		return nil, nil
	}))
	return r, func(e *states.Engine) { eng.Store(e) }
}

func runWithEngine(t *testing.T, def, input string, opts states.Options, bind func(*states.Engine)) (states.Result, *states.Execution, *states.Engine) {
	t.Helper()
	sm := mustParse(t, def)
	if opts.Clock == nil {
		opts.Clock = states.NewVirtualClock(epoch)
	}
	eng := states.New(opts)
	if bind != nil {
		bind(eng)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, res, err := eng.Run(ctx, sm, states.StartInput{Input: []byte(input)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, x, eng
}

func TestWaitForTaskToken(t *testing.T) {
	const tokenDef = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
	  "Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},%s"End":true}}}`
	tests := []struct {
		name    string
		extra   string
		answer  func(e *states.Engine, token string)
		status  string
		errName string
		output  string
	}{
		{"success", ``, func(e *states.Engine, tok string) {
			_ = e.SendTaskSuccess(context.Background(), tok, []byte(`{"ok":true}`))
		},
			states.StatusSucceeded, "", `{"ok":true}`},
		{"failure", ``, func(e *states.Engine, tok string) { _ = e.SendTaskFailure(context.Background(), tok, "Rejected", "no") },
			states.StatusFailed, "Rejected", ""},
		{"timeout", `"TimeoutSeconds":3600,`, nil, states.StatusFailed, failure.Timeout, ""},
		{"heartbeat timeout", `"TimeoutSeconds":3600,"HeartbeatSeconds":60,`, nil, states.StatusFailed, failure.HeartbeatTimeout, ""},
		{"timeout from path", `"TimeoutSecondsPath":"$.t",`, nil, states.StatusFailed, failure.Timeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, bind := tokenTask(tt.answer)
			res, x, _ := runWithEngine(t, fmt.Sprintf(tokenDef, tt.extra), `{"t":5}`, states.Options{Tasks: reg}, bind)
			if res.Status != tt.status || res.Error != tt.errName {
				t.Fatalf("got %s %s %s, want %s %s", res.Status, res.Error, res.Cause, tt.status, tt.errName)
			}
			if tt.output != "" && string(res.Output) != tt.output {
				t.Errorf("got output %s, want %s", res.Output, tt.output)
			}
			if tt.errName == failure.Timeout || tt.errName == failure.HeartbeatTimeout {
				h := x.History()
				var timedOut bool
				for _, e := range h {
					timedOut = timedOut || e.Type == "TaskTimedOut"
				}
				if !timedOut {
					t.Errorf("history has no TaskTimedOut event")
				}
			}
		})
	}
}

func TestHeartbeatKeepsTaskAlive(t *testing.T) {
	clock := states.NewVirtualClock(epoch)
	done := make(chan struct{})
	reg, bind := tokenTask(func(e *states.Engine, tok string) {
		defer close(done)
		for i := 0; i < 3; i++ {
			if err := e.SendTaskHeartbeat(context.Background(), tok); err != nil {
				t.Errorf("SendTaskHeartbeat: %v", err)
			}
		}
		if err := e.SendTaskSuccess(context.Background(), tok, []byte(`"done"`)); err != nil {
			t.Errorf("SendTaskSuccess: %v", err)
		}
		if err := e.SendTaskSuccess(context.Background(), tok, []byte(`"again"`)); !isFailure(err, states.ErrTaskDoesNotExist) {
			t.Errorf("second SendTaskSuccess: got %v, want TaskDoesNotExist", err)
		}
	})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","HeartbeatSeconds":600,"End":true}}}`
	res, _, _ := runWithEngine(t, def, `{}`, states.Options{Clock: clock, Tasks: reg}, bind)
	<-done
	if res.Status != states.StatusSucceeded || string(res.Output) != `"done"` {
		t.Errorf("got %s %s %s, want SUCCEEDED \"done\"", res.Status, res.Output, res.Error)
	}
}

func isFailure(err error, name string) bool {
	var fe *failure.Error
	return errors.As(err, &fe) && fe.Name == name
}

func TestTokenAPIErrors(t *testing.T) {
	eng := states.New(states.Options{})
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"malformed token", eng.SendTaskSuccess(ctx, "nope", []byte(`{}`)), states.ErrInvalidToken},
		{"unknown token", eng.SendTaskFailure(ctx, "AQBunknown", "E", "c"), states.ErrTaskDoesNotExist},
		{"bad output", eng.SendTaskSuccess(ctx, "AQBunknown", []byte(`{`)), states.ErrInvalidOutput},
		{"heartbeat unknown", eng.SendTaskHeartbeat(ctx, "AQBunknown"), states.ErrTaskDoesNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !isFailure(tt.err, tt.want) {
				t.Errorf("got %v, want %s", tt.err, tt.want)
			}
		})
	}
}

func TestLateTokenAfterTimeout(t *testing.T) {
	tokens := make(chan string, 1)
	reg, bind := tokenTask(func(_ *states.Engine, tok string) { tokens <- tok })
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","TimeoutSeconds":5,"End":true}}}`
	res, _, eng := runWithEngine(t, def, `{}`, states.Options{Tasks: reg}, bind)
	if res.Error != failure.Timeout {
		t.Fatalf("got %s %s, want States.Timeout", res.Status, res.Error)
	}
	var tok string
	select {
	case tok = <-tokens:
	case <-time.After(10 * time.Second):
		t.Fatal("the task never received its token")
	}
	if err := eng.SendTaskSuccess(context.Background(), tok, []byte(`{}`)); !isFailure(err, states.ErrTaskTimedOut) {
		t.Errorf("got %v, want TaskTimedOut", err)
	}
}

func TestRequestResponseTimeoutRealClock(t *testing.T) {
	h := states.TaskFunc(func(ctx context.Context, _ states.TaskRequest) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","TimeoutSeconds":1,
	  "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`
	res, x := runMachine(t, def, `{}`, states.Options{Clock: states.RealClock(), Tasks: handlers(map[string]states.TaskFunc{fnArn: h})})
	if res.Status != states.StatusSucceeded || string(res.Output) != `{"err":{"Error":"States.Timeout","Cause":""}}` {
		t.Fatalf("got %s %s %s, want the timeout caught", res.Status, res.Output, res.Error)
	}
	var types []string
	for _, e := range x.History() {
		types = append(types, e.Type)
	}
	if !strings.Contains(strings.Join(types, ","), "LambdaFunctionTimedOut") {
		t.Errorf("got events %v, want LambdaFunctionTimedOut", types)
	}
}

func TestExecutionTimeout(t *testing.T) {
	def := `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`
	res, x := runMachine(t, def, `{}`, states.Options{})
	if res.Status != states.StatusTimedOut || res.Error != "" || res.Cause != "" {
		t.Fatalf("got %s %q %q, want TIMED_OUT without error or cause, as DescribeExecution reports", res.Status, res.Error, res.Cause)
	}
	if got := x.StopDate().Sub(x.StartDate()); got != 5*time.Second {
		t.Errorf("got %v of virtual time, want 5s", got)
	}
	h := x.History()
	last := h[len(h)-1]
	if last.Type != "ExecutionTimedOut" || last.ExecutionTimedOutEventDetails == nil || last.ExecutionTimedOutEventDetails.Error != failure.Timeout || last.PreviousEventID != 0 {
		t.Errorf("got last event %+v, want ExecutionTimedOut with States.Timeout after event 0", last)
	}
}

func TestStopAbortsExecution(t *testing.T) {
	started := make(chan string, 1)
	reg, bind := tokenTask(func(_ *states.Engine, tok string) { started <- tok })
	sm := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`)
	eng := states.New(states.Options{Tasks: reg})
	bind(eng)
	x, err := eng.Start(context.Background(), sm, states.StartInput{})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	x.Stop("Operator", "stopped by test")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != states.StatusAborted || res.Error != "Operator" || res.Cause != "stopped by test" {
		t.Errorf("got %+v, want ABORTED Operator", res)
	}
}

func TestHistoryLimit(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"S"}],"Default":"A"},"S":{"Type":"Succeed"}}}`
	res, x := runMachine(t, def, `{}`, states.Options{MaxHistory: 100})
	if res.Status != states.StatusFailed || res.Error != failure.Runtime {
		t.Fatalf("got %s %s, want FAILED States.Runtime", res.Status, res.Error)
	}
	h := x.History()
	if n := len(h); n != 100 {
		t.Fatalf("got %d events, want 100", n)
	}
	last := h[99]
	if last.ID != 100 || last.PreviousEventID != 99 || last.Type != "ExecutionFailed" ||
		last.ExecutionFailedEventDetails.Cause != "The execution reached the maximum number of history events (100)." {
		t.Errorf("got last event %+v, want ExecutionFailed #100 after #99 with the limit cause", last)
	}
}

// TestHistoryLimitCounted checks that an execution that only counts its
// events fails at the history limit exactly as one that stores them: same
// status, error and cause, and the same number of events.
func TestHistoryLimitCounted(t *testing.T) {
	loop := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"S"}],"Default":"A"},"S":{"Type":"Succeed"}}}`
	mapLoop := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"ResultPath":null,"Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"S"}],"Default":"M"},"S":{"Type":"Succeed"}}}`
	tests := []struct {
		name  string
		def   string
		input string
		max   int
	}{
		{name: "loop at 100", def: loop, input: `{}`, max: 100},
		{name: "loop at the default 25,000", def: loop, input: `{}`, max: 0},
		{name: "map iterations at 1,000", def: mapLoop, input: `{"items":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}`, max: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full, fx := runMachine(t, tt.def, tt.input, states.Options{MaxHistory: tt.max})
			counted, cx := runMachine(t, tt.def, tt.input, states.Options{MaxHistory: tt.max, History: states.HistoryCount})
			want := tt.max
			if want == 0 {
				want = states.DefaultMaxHistory
			}
			wantCause := fmt.Sprintf("The execution reached the maximum number of history events (%d).", want)
			if full.Status != states.StatusFailed || full.Error != failure.Runtime || full.Cause != wantCause {
				t.Fatalf("HistoryFull: got %s %s %q, want FAILED States.Runtime %q", full.Status, full.Error, full.Cause, wantCause)
			}
			if counted.Status != full.Status || counted.Error != full.Error || counted.Cause != full.Cause || !bytes.Equal(counted.Output, full.Output) {
				t.Errorf("HistoryCount: got %+v, want %+v", counted, full)
			}
			if n := len(fx.History()); n != want {
				t.Errorf("HistoryFull events: got %d, want %d", n, want)
			}
			if n := cx.HistoryLen(); n != want {
				t.Errorf("HistoryCount HistoryLen: got %d, want %d", n, want)
			}
			if h := cx.History(); h != nil {
				t.Errorf("HistoryCount History: got %d events, want nil", len(h))
			}
		})
	}
}

func TestDataLimitExceeded(t *testing.T) {
	big := strings.Repeat("x", 200*1024)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"$.s","b.$":"$.s"},"End":true}}}`
	res, _ := runMachine(t, def, `{"s":"`+big+`"}`, states.Options{})
	if res.Status != states.StatusFailed || res.Error != failure.DataLimitExceeded {
		t.Fatalf("got %s %s, want FAILED States.DataLimitExceeded", res.Status, res.Error)
	}
	// States.ALL does not catch it.
	def = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`
	h := states.TaskFunc(func(context.Context, states.TaskRequest) (json.RawMessage, error) {
		return json.RawMessage(`"` + big + big + `"`), nil
	})
	res, _ = runMachine(t, def, `{}`, states.Options{Tasks: handlers(map[string]states.TaskFunc{fnArn: h})})
	if res.Status != states.StatusFailed || res.Error != failure.DataLimitExceeded {
		t.Errorf("got %s %s, want FAILED States.DataLimitExceeded", res.Status, res.Error)
	}
}

func TestVariablesScoping(t *testing.T) {
	def := `{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Assign":{"greeting":"hi","n.$":"$.n"},"Next":"M"},
	  "M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.mapped","Next":"B",
	       "ItemSelector":{"item.$":"$$.Map.Item.Value","g.$":"$greeting"},
	       "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"inner.$":"$.item"},"Next":"J"},"J":{"Type":"Pass","Parameters":{"v.$":"States.Format('{} {} {}', $greeting, $inner, $n)"},"End":true}}}},
	  "B":{"Type":"Pass","Parameters":{"g.$":"$greeting","mapped.$":"$.mapped"},"End":true}}}`
	res, _ := runMachine(t, def, `{"n":7,"items":["a","b"]}`, states.Options{})
	want := `{"g":"hi","mapped":[{"v":"hi a 7"},{"v":"hi b 7"}]}`
	if res.Status != states.StatusSucceeded || string(res.Output) != want {
		t.Errorf("got %s %s %s %s, want %s", res.Status, res.Output, res.Error, res.Cause, want)
	}
}

func TestCatchAssignAndResultPath(t *testing.T) {
	h := states.TaskFunc(func(context.Context, states.TaskRequest) (json.RawMessage, error) {
		return nil, failure.New("Boom", "it broke")
	})
	def := `{"StartAt":"T","States":{
	  "T":{"Type":"Task","Resource":"` + fnArn + `","Catch":[{"ErrorEquals":["Boom"],"Assign":{"why.$":"$.Cause"},"ResultPath":"$.error","Next":"R"}],"End":true},
	  "R":{"Type":"Pass","Parameters":{"why.$":"$why","error.$":"$.error","in.$":"$.in"},"End":true}}}`
	res, _ := runMachine(t, def, `{"in":1}`, states.Options{Tasks: handlers(map[string]states.TaskFunc{fnArn: h})})
	want := `{"why":"it broke","error":{"Error":"Boom","Cause":"it broke"},"in":1}`
	if string(res.Output) != want {
		t.Errorf("got %s %s %s, want %s", res.Output, res.Error, res.Cause, want)
	}
}

func TestParallelBranchFailure(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"S","Catch":[{"ErrorEquals":["BranchError"],"Next":"C"}],"Branches":[
	  {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}},
	  {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"BranchError","Cause":"second branch"}}}]},
	  "S":{"Type":"Succeed"},"C":{"Type":"Pass","End":true}}}`
	res, x := runMachine(t, def, `{}`, states.Options{})
	if res.Status != states.StatusSucceeded || string(res.Output) != `{"Error":"BranchError","Cause":"second branch"}` {
		t.Fatalf("got %s %s, want the branch error caught", res.Status, res.Output)
	}
	if got := x.StopDate().Sub(x.StartDate()); got != 0 {
		t.Errorf("got %v of virtual time, want 0 (the waiting branch is aborted)", got)
	}
}

func TestContextObject(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"ctx.$":"$$"},"End":true}}}`
	sm := mustParse(t, def)
	eng := states.New(states.Options{Clock: states.NewVirtualClock(epoch.Add(1500 * time.Millisecond))})
	_, res, err := eng.Run(context.Background(), sm, states.StartInput{Name: "exec1", Input: []byte(`{"a":1}`),
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:Demo"})
	if err != nil {
		t.Fatal(err)
	}
	// Field order and fields as recorded on AWS (a Pass state has no
	// State.RetryCount).
	want := `{"ctx":{"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:execution:Demo:exec1","Input":{"a":1},` +
		`"StartTime":"2024-01-01T00:00:01.500Z","Name":"exec1","RoleArn":"arn:aws:iam::123456789012:role/StepFunctionsRole","RedriveCount":0},` +
		`"StateMachine":{"Id":"arn:aws:states:us-east-1:123456789012:stateMachine:Demo","Name":"Demo"},` +
		`"State":{"Name":"P","EnteredTime":"2024-01-01T00:00:01.500Z"}}}`
	if string(res.Output) != want {
		t.Errorf("got  %s\nwant %s", res.Output, want)
	}
}

func TestPathsOnNullInput(t *testing.T) {
	tests := []struct {
		name  string
		state string
	}{
		{"choice on $", `{"Type":"Choice","Choices":[{"Variable":"$","IsString":true,"Next":"S"}],"Default":"S"}`},
		{"input path", `{"Type":"Pass","InputPath":"$.a","Next":"S"}`},
		{"parameters", `{"Type":"Pass","Parameters":{"a.$":"$.a"},"Next":"S"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := `{"StartAt":"N","States":{"N":{"Type":"Pass","Result":null,"Next":"X"},"X":` + tt.state + `,"S":{"Type":"Succeed"}}}`
			res, _ := runMachine(t, def, `{}`, states.Options{})
			want := "An error occurred while executing the state 'X' (entered at the event id #4). Unable to apply Path transformation to null or empty input."
			if res.Error != failure.Runtime || res.Cause != want {
				t.Errorf("got %s %q, want States.Runtime %q", res.Error, res.Cause, want)
			}
		})
	}
}

func TestInvalidExecutionInput(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`)
	_, err := states.New(states.Options{}).Start(context.Background(), sm, states.StartInput{Input: []byte(`{"a":`)})
	if !isFailure(err, states.ErrInvalidInput) {
		t.Errorf("got %v, want InvalidExecutionInput", err)
	}
}

func TestNestedConcurrencyInVirtualTime(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":3,"End":true,
	  "ItemSelector":{"n.$":"$$.Map.Item.Value"},
	  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
	    {"StartAt":"W1","States":{"W1":{"Type":"Wait","SecondsPath":"$.n","Next":"T"},"T":{"Type":"Task","Resource":"` + fnArn + `","TimeoutSeconds":100,"End":true}}},
	    {"StartAt":"W2","States":{"W2":{"Type":"Wait","Seconds":5,"End":true}}}]}}}}}}`
	sm := mustParse(t, def)
	clock := states.NewVirtualClock(epoch)
	eng := states.New(states.Options{Clock: clock, Tasks: handlers(map[string]states.TaskFunc{fnArn: echo})})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var execs []*states.Execution
	for i := 0; i < 5; i++ {
		x, err := eng.Start(ctx, sm, states.StartInput{Input: []byte(`[1,2,3,4,5,6]`)})
		if err != nil {
			t.Fatal(err)
		}
		execs = append(execs, x)
	}
	for _, x := range execs {
		res, err := x.Wait(ctx)
		if err != nil {
			t.Fatalf("execution did not end: %v", err)
		}
		want := `[[{"n":1},{"n":1}],[{"n":2},{"n":2}],[{"n":3},{"n":3}],[{"n":4},{"n":4}],[{"n":5},{"n":5}],[{"n":6},{"n":6}]]`
		if res.Status != states.StatusSucceeded || string(res.Output) != want {
			t.Fatalf("got %s %s %s, want SUCCEEDED %s", res.Status, res.Output, res.Error, want)
		}
		// Items 1-3 run first (5s each, the longest branch), then 4-6
		// start as slots free up: 4 at 5s ends at 10s, 5 at 5s ends at
		// 10s, 6 at 5s ends at 11s.
		if got := x.StopDate().Sub(x.StartDate()); got != 11*time.Second {
			t.Errorf("got %v of virtual time, want 11s", got)
		}
	}
}

// TestHistoryCountInPlace runs definitions where a Pass state's ResultPath
// could update an object that something else still references (variables,
// Parallel branches sharing one input, Map results fed back into a Map, the
// execution input) with history stored and only counted: both must give the
// same, expected output.
func TestHistoryCountInPlace(t *testing.T) {
	tests := []struct {
		name, def, input, want string
	}{
		{
			name:  "chain",
			def:   `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.n","Next":"B"},"B":{"Type":"Pass","Result":2,"ResultPath":"$.n","Next":"C"},"C":{"Type":"Pass","Result":3,"ResultPath":"$.m","End":true}}}`,
			input: `{"n":0}`,
			want:  `{"n":2,"m":3}`,
		},
		{
			name:  "variable keeps the earlier object",
			def:   `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.n","Next":"B"},"B":{"Type":"Pass","Assign":{"saved.$":"$"},"Next":"C"},"C":{"Type":"Pass","Result":3,"ResultPath":"$.n","Next":"D"},"D":{"Type":"Pass","Result":4,"ResultPath":"$.n","Next":"E"},"E":{"Type":"Pass","Parameters":{"saved.$":"$saved","now.$":"$"},"End":true}}}`,
			input: `{"n":0}`,
			want:  `{"saved":{"n":1},"now":{"n":4}}`,
		},
		{
			name:  "execution input and context stay as given",
			def:   `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.n","Next":"B"},"B":{"Type":"Pass","Result":2,"ResultPath":"$.n","Next":"E"},"E":{"Type":"Pass","Parameters":{"in.$":"$$.Execution.Input","now.$":"$"},"End":true}}}`,
			input: `{"n":0}`,
			want:  `{"in":{"n":0},"now":{"n":2}}`,
		},
		{
			name:  "parallel branches share their input",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a1","ResultPath":"$.v","Next":"B"},"B":{"Type":"Pass","Result":"a2","ResultPath":"$.v","End":true}}},{"StartAt":"C","States":{"C":{"Type":"Pass","Result":"c1","ResultPath":"$.v","Next":"D"},"D":{"Type":"Pass","Result":"c2","ResultPath":"$.v","End":true}}},{"StartAt":"E","States":{"E":{"Type":"Pass","End":true}}}],"End":true}}}`,
			input: `{"v":0}`,
			want:  `[{"v":"a2"},{"v":"c2"},{"v":0}]`,
		},
		{
			name:  "map results fed back into a map",
			def:   `{"StartAt":"M1","States":{"M1":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.k","Next":"B"},"B":{"Type":"Pass","Result":2,"ResultPath":"$.k","End":true}}},"Next":"M2"},"M2":{"Type":"Map","ItemProcessor":{"StartAt":"C","States":{"C":{"Type":"Pass","Result":3,"ResultPath":"$.k","Next":"D"},"D":{"Type":"Pass","Result":4,"ResultPath":"$.j","End":true}}},"ResultPath":"$[1]","End":true}}}`,
			input: `[{"k":0},{"k":0}]`,
			want:  `[{"k":2},[{"k":3,"j":4},{"k":3,"j":4}]]`,
		},
		{
			name:  "choice between pass states",
			def:   `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.n","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"B"}],"Default":"B"},"B":{"Type":"Pass","Result":2,"ResultPath":"$.n","End":true}}}`,
			input: `{"n":0}`,
			want:  `{"n":2}`,
		},
		{
			name:  "result path to a new member then an existing one",
			def:   `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","Next":"B"},"B":{"Type":"Pass","Result":{"x":2},"ResultPath":"$.r","Next":"C"},"C":{"Type":"Pass","Result":{"x":3},"ResultPath":"$.s","End":true}}}`,
			input: `{}`,
			want:  `{"r":{"x":2},"s":{"x":3}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []states.HistoryMode{states.HistoryFull, states.HistoryCount} {
				res, _ := runMachine(t, tt.def, tt.input, states.Options{History: mode})
				if res.Status != states.StatusSucceeded || string(res.Output) != tt.want {
					t.Errorf("mode %d: got %s %s (%s: %s), want SUCCEEDED %s", mode, res.Status, res.Output, res.Error, res.Cause, tt.want)
				}
			}
		})
	}
}

// TestHistoryCountInPlaceDataLimit checks that a Pass state writing a
// longer value into a member in place still fails when the object outgrows
// the payload limit, and succeeds when the value is no longer.
func TestHistoryCountInPlaceDataLimit(t *testing.T) {
	pad := strings.Repeat("p", 200*1024)
	big := strings.Repeat("b", 100*1024)
	tests := []struct {
		name, last string
		want       string
	}{
		{name: "longer value over the limit", last: `"` + big + `"`, want: states.StatusFailed},
		{name: "shorter value", last: `2`, want: states.StatusSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"xx","ResultPath":"$.a","Next":"B"},"B":{"Type":"Pass","Result":` + tt.last + `,"ResultPath":"$.a","End":true}}}`
			for _, mode := range []states.HistoryMode{states.HistoryFull, states.HistoryCount} {
				res, _ := runMachine(t, def, `{"pad":"`+pad+`","a":0}`, states.Options{History: mode})
				if res.Status != tt.want {
					t.Fatalf("mode %d: got %s %s, want %s", mode, res.Status, res.Error, tt.want)
				}
				if tt.want == states.StatusFailed && (res.Error != failure.DataLimitExceeded || !strings.Contains(res.Cause, "'B'")) {
					t.Errorf("mode %d: got %s %q, want States.DataLimitExceeded naming B", mode, res.Error, res.Cause)
				}
			}
		})
	}
}

// TestTokenAnsweredDuringItsOwnInvocation: a waitForTaskToken handler
// whose own call answers the token (as a bake's registration does when an
// alarm already fires, or a person promotes at once) ends the task with no
// virtual time passing, instead of waiting until the timeout with the
// answer already there.
func TestTokenAnsweredDuringItsOwnInvocation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  func(e *states.Engine, tok string) error
		status  string
		errName string
	}{
		{"success", func(e *states.Engine, tok string) error {
			return e.SendTaskSuccess(context.Background(), tok, []byte(`{"ok":true}`))
		}, states.StatusSucceeded, ""},
		{"failure", func(e *states.Engine, tok string) error {
			return e.SendTaskFailure(context.Background(), tok, "AlarmTriggered", "already in ALARM")
		}, states.StatusFailed, "AlarmTriggered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := states.NewVirtualClock(epoch)
			var eng atomic.Pointer[states.Engine]
			reg := states.NewRegistry()
			reg.HandlePrefix("arn:aws:states:::sqs:sendMessage", states.TaskFunc(func(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
				if err := tc.answer(eng.Load(), req.Token); err != nil {
					t.Errorf("answer: %v", err)
				}
				return nil, nil
			}))
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","TimeoutSeconds":3600,"End":true}}}`
			res, _, _ := runWithEngine(t, def, `{}`, states.Options{Clock: clock, Tasks: reg}, func(e *states.Engine) { eng.Store(e) })
			if res.Status != tc.status || res.Error != tc.errName {
				t.Fatalf("got %s %s %s, want %s %s", res.Status, res.Error, res.Cause, tc.status, tc.errName)
			}
			if took := clock.Now().Sub(epoch); took != 0 {
				t.Errorf("virtual time passed %s, want none: the answer was there before the wait", took)
			}
		})
	}
}
