package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// sourceFunc is a Source made of a function.
type sourceFunc func(ctx context.Context, runID string) ([]Result, error)

func (f sourceFunc) Results(ctx context.Context, runID string) ([]Result, error) {
	return f(ctx, runID)
}

func fixed(results ...Result) Source {
	return sourceFunc(func(context.Context, string) ([]Result, error) { return results, nil })
}

func TestAggregate(t *testing.T) {
	fast := func(task int) Result { return resultOf(t, task, spread(3000), Counts{}) }
	slow := resultOf(t, 2, []time.Duration{time.Second, time.Second, time.Second, time.Second}, Counts{})
	criteria := release.Criteria{P99: 200 * time.Millisecond, ErrorRate: 0.01, MinRPS: 100}
	tests := []struct {
		name         string
		src          Source
		tasks        int
		wantPassed   bool
		wantReported []int
		wantMissing  []int
		wantReason   string
		wantRequests int64
	}{
		{
			name: "all tasks report and pass", src: fixed(fast(1), fast(0)), tasks: 2,
			wantPassed: true, wantReported: []int{0, 1}, wantRequests: 6000,
		},
		{
			name: "a missing task fails the run", src: fixed(fast(0), fast(2)), tasks: 4,
			wantReported: []int{0, 2}, wantMissing: []int{1, 3}, wantRequests: 6000,
			wantReason: "2 of 4 load-test tasks did not report a result (missing tasks 1, 3)",
		},
		{
			name: "nothing reported", src: fixed(), tasks: 3,
			wantReported: []int{}, wantMissing: []int{0, 1, 2},
			wantReason: "3 of 3 load-test tasks did not report a result",
		},
		{
			name: "an unexpected task fails the run", src: fixed(fast(0), fast(1), fast(5)), tasks: 2,
			wantReported: []int{0, 1}, wantRequests: 6000,
			wantReason: "results for unexpected or duplicate tasks 5 of 2",
		},
		{
			name: "one slow task's tail shows in the merged p99", src: fixed(fast(0), fast(1), slow), tasks: 3,
			wantReported: []int{0, 1, 2}, wantRequests: 6004, wantPassed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Aggregate(context.Background(), tt.src, "run-1", tt.tasks, criteria)
			if err != nil {
				t.Fatalf("Aggregate: %v", err)
			}
			if rep.Verdict.Passed != tt.wantPassed {
				t.Errorf("got passed %v, want %v: %s", rep.Verdict.Passed, tt.wantPassed, rep.Verdict.Reason)
			}
			if got, want := ints(rep.Reported), ints(tt.wantReported); got != want {
				t.Errorf("got reported %q, want %q", got, want)
			}
			if got, want := ints(rep.Missing), ints(tt.wantMissing); got != want {
				t.Errorf("got missing %q, want %q", got, want)
			}
			if !strings.Contains(rep.Verdict.Reason, tt.wantReason) {
				t.Errorf("got reason %q, want it to contain %q", rep.Verdict.Reason, tt.wantReason)
			}
			if rep.Stats.Requests != tt.wantRequests {
				t.Errorf("got %d requests, want %d", rep.Stats.Requests, tt.wantRequests)
			}
			if _, err := json.Marshal(rep); err != nil {
				t.Errorf("report does not marshal: %v", err)
			}
		})
	}
}

func TestAggregateTailIsNotAveraged(t *testing.T) {
	// Task 0: 98 fast requests; task 1: 2 requests of 1s. Averaging the
	// tasks' p99s would give ~0.5s; the true p99 of the 100 requests is 1s.
	fast := make([]time.Duration, 98)
	for i := range fast {
		fast[i] = time.Millisecond
	}
	a := resultOf(t, 0, fast, Counts{})
	b := resultOf(t, 1, []time.Duration{time.Second, time.Second}, Counts{})
	rep, err := Aggregate(context.Background(), fixed(a, b), "run-1", 2, release.Criteria{P99: 900 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if p99 := rep.Result.Latency.Quantile(0.99); p99 < time.Second {
		t.Errorf("got merged p99 %v, want 1s", p99)
	}
	if rep.Verdict.Passed {
		t.Errorf("got a passing verdict, want p99 to fail: %+v", rep.Verdict)
	}
}

func TestAggregateErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		src     Source
		runID   string
		tasks   int
		wantErr error
	}{
		{name: "source fails", src: sourceFunc(func(context.Context, string) ([]Result, error) { return nil, boom }), runID: "r", tasks: 1, wantErr: boom},
		{name: "bad run id", src: fixed(), runID: "../etc", tasks: 1, wantErr: release.ErrInvalid},
		{name: "no tasks", src: fixed(), runID: "r", tasks: 0, wantErr: release.ErrInvalid},
		{name: "absurdly many tasks", src: fixed(), runID: "r", tasks: MaxTasks + 1, wantErr: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Aggregate(context.Background(), tt.src, tt.runID, tt.tasks, release.Criteria{})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// appenderFunc is an EventAppender made of a function.
type appenderFunc func(ctx context.Context, ev release.Event) (release.Event, error)

func (f appenderFunc) AppendEvent(ctx context.Context, ev release.Event) (release.Event, error) {
	return f(ctx, ev)
}

func TestAggregatorHandle(t *testing.T) {
	// The input the loadtest state machine's Aggregate state sends.
	const input = `{"runId":"run-1","releaseId":"rel-9","pipeline":"orders","stage":"beta","wave":"one-box",
		"target":{"type":"local","name":"orders-beta"},
		"loadTest":{"tasks":2,"rps":200,"holdFor":60000000000,"criteria":{"p99":100000000,"errorRate":0.01},"taskIndexes":[0,1]}}`
	var in AggregateInput
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		results    []Result
		wantPassed bool
		wantEvent  release.EventType
		wantInSum  string
	}{
		{
			name:       "passes",
			results:    []Result{resultOf(t, 0, spread(100), Counts{}), resultOf(t, 1, spread(100), Counts{})},
			wantPassed: true, wantEvent: release.EventLoadTestPassed,
			wantInSum: "load test run-1 passed: 200 requests, 0.00% errors, 3.3 rps, p50 50.015ms p90 90.047ms p99 99.007ms",
		},
		{
			name:      "a task is missing",
			results:   []Result{resultOf(t, 0, spread(100), Counts{})},
			wantEvent: release.EventLoadTestFailed,
			wantInSum: "load test run-1 failed: 1 of 2 load-test tasks did not report a result (missing tasks 1)",
		},
		{
			name:      "errors over the limit",
			results:   []Result{resultOf(t, 0, spread(100), Counts{ServerError: 5}), resultOf(t, 1, spread(100), Counts{})},
			wantEvent: release.EventLoadTestFailed,
			wantInSum: "criteria not met: errorRate 2.44% (5 of 205), want <= 1%",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []release.Event
			a := &Aggregator{
				Source: fixed(tt.results...),
				Events: appenderFunc(func(_ context.Context, ev release.Event) (release.Event, error) {
					got = append(got, ev)
					return ev, nil
				}),
				Now: func() time.Time { return now },
			}
			rep, err := a.Handle(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Passed != tt.wantPassed || !strings.Contains(rep.Summary, tt.wantInSum) {
				t.Errorf("got passed %v summary %q, want %v and %q", rep.Passed, rep.Summary, tt.wantPassed, tt.wantInSum)
			}
			// The state machine reads $.report.passed and $.report.summary.
			var shape struct {
				Passed  *bool   `json:"passed"`
				Summary *string `json:"summary"`
			}
			data, _ := json.Marshal(rep)
			if err := json.Unmarshal(data, &shape); err != nil || shape.Passed == nil || shape.Summary == nil {
				t.Errorf("report JSON lacks passed or summary: %s", data)
			}
			if len(got) != 1 {
				t.Fatalf("got %d events, want 1", len(got))
			}
			ev := got[0]
			if ev.Type != tt.wantEvent || ev.ReleaseID != "rel-9" || ev.Stage != "beta" || ev.Wave != "one-box" ||
				ev.Target != "orders-beta" || !ev.Time.Equal(now) || ev.Message != rep.Summary {
				t.Errorf("got event %+v, want %s for rel-9 beta/one-box/orders-beta with the summary", ev, tt.wantEvent)
			}
		})
	}
}

func TestAggregatorHandleEventFailure(t *testing.T) {
	boom := errors.New("throttled")
	a := &Aggregator{
		Source: fixed(resultOf(t, 0, spread(10), Counts{})),
		Events: appenderFunc(func(context.Context, release.Event) (release.Event, error) { return release.Event{}, boom }),
		Now:    time.Now,
	}
	_, err := a.Handle(context.Background(), AggregateInput{RunID: "run-1", ReleaseID: "rel-1", LoadTest: release.LoadTest{Tasks: 1}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "record LoadTestPassed for release rel-1") {
		t.Errorf("got %v, want the event log's error with context", err)
	}
}

func TestCheckPut(t *testing.T) {
	r := resultOf(t, 3, []time.Duration{time.Millisecond}, Counts{})
	r.RunID = ""
	tests := []struct {
		name    string
		runID   string
		task    int
		r       Result
		wantMsg string
	}{
		{name: "stamps the run", runID: "run-9", task: 3, r: r},
		{name: "bad run id", runID: "", task: 3, r: r, wantMsg: "run id"},
		{name: "negative task", runID: "run-9", task: -1, r: r, wantMsg: "task -1 is negative"},
		{name: "other task", runID: "run-9", task: 4, r: r, wantMsg: "result is of task 3"},
		{name: "other run", runID: "run-9", task: 3, r: func() Result { x := r; x.RunID = "run-8"; return x }(), wantMsg: `result is of run "run-8"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckPut(tt.runID, tt.task, tt.r)
			if tt.wantMsg == "" {
				if err != nil || got.RunID != tt.runID {
					t.Errorf("got %q, %v; want the result stamped with %q", got.RunID, err, tt.runID)
				}
				return
			}
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want an invalid error containing %q", err, tt.wantMsg)
			}
		})
	}
}
