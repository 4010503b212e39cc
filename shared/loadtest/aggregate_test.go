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
			if rep.Summary.Requests != tt.wantRequests {
				t.Errorf("got %d requests, want %d", rep.Summary.Requests, tt.wantRequests)
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

func TestAggregatorHandle(t *testing.T) {
	in := AggregateInput{}
	if err := json.Unmarshal([]byte(`{"runId":"run-1","tasks":1,"criteria":{"p99":100000000}}`), &in); err != nil {
		t.Fatal(err)
	}
	a := &Aggregator{Source: fixed(resultOf(t, 0, []time.Duration{time.Millisecond}, Counts{}))}
	rep, err := a.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Verdict.Passed || len(rep.Verdict.Checks) != 1 || rep.Verdict.Checks[0].Want != "<= 100ms" {
		t.Errorf("got %+v, want a passing p99 <= 100ms check", rep.Verdict)
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
