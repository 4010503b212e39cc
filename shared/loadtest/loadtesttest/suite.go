package loadtesttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
)

// Store is a result store: the Sink tasks write to and the Source the
// aggregator reads from.
type Store interface {
	loadtest.Sink
	loadtest.Source
}

// Result returns a valid result of task holding n 2xx requests whose
// latencies are task+1 ms, 2(task+1) ms, …, and one 5xx response.
func Result(tb testing.TB, task, n int) loadtest.Result {
	tb.Helper()
	start := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC).Add(time.Duration(task) * time.Second)
	r := loadtest.Result{
		Task:      task,
		Tasks:     1,
		Mode:      loadtest.ModeRate,
		Start:     start,
		HoldStart: start.Add(10 * time.Second),
		Hold:      time.Minute,
		End:       start.Add(71 * time.Second),
		Warmup:    loadtest.Counts{Requests: 2, OK: 1, Timeouts: 1, Dropped: 1},
		Counts:    loadtest.Counts{Requests: int64(n) + 1, OK: int64(n), ServerError: 1},
	}
	for i := range n + 1 {
		r.Latency.Record(time.Duration((i+1)*(task+1)) * time.Millisecond)
	}
	if err := r.Validate(); err != nil {
		tb.Fatalf("loadtesttest.Result builds an invalid result: %v", err)
	}
	return r
}

// TestStore runs the contract suite; newStore returns an empty store, a new
// one for each subtest.
func TestStore(t *testing.T, newStore func(tb testing.TB) Store) {
	ctx := context.Background()

	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		want := Result(t, 0, 500)
		put(t, s, "run-1", 0, want)
		got := results(t, s, "run-1")
		if len(got) != 1 {
			t.Fatalf("got %d results, want 1", len(got))
		}
		same(t, got[0], want, "run-1")
	})

	t.Run("ordered by task", func(t *testing.T) {
		s := newStore(t)
		order := []int{3, 0, 12, 1, 2}
		for _, task := range order {
			put(t, s, "run-1", task, Result(t, task, 10+task))
		}
		got := results(t, s, "run-1")
		want := []int{0, 1, 2, 3, 12}
		if len(got) != len(want) {
			t.Fatalf("got %d results, want %d", len(got), len(want))
		}
		for i, r := range got {
			if r.Task != want[i] {
				t.Errorf("result %d is task %d, want %d", i, r.Task, want[i])
			}
			same(t, r, Result(t, want[i], 10+want[i]), "run-1")
		}
	})

	t.Run("a retried task replaces its result", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "run-1", 4, Result(t, 4, 10))
		second := Result(t, 4, 99)
		put(t, s, "run-1", 4, second)
		got := results(t, s, "run-1")
		if len(got) != 1 {
			t.Fatalf("got %d results, want 1", len(got))
		}
		same(t, got[0], second, "run-1")
	})

	t.Run("runs are separate", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "run-1", 0, Result(t, 0, 10))
		put(t, s, "run-10", 0, Result(t, 0, 20))
		put(t, s, "run-10", 1, Result(t, 1, 20))
		if got := results(t, s, "run-1"); len(got) != 1 || got[0].Counts.OK != 10 {
			t.Errorf("run-1: got %d results, want only its own", len(got))
		}
		if got := results(t, s, "run-10"); len(got) != 2 {
			t.Errorf("run-10: got %d results, want 2", len(got))
		}
	})

	t.Run("unknown run has no results", func(t *testing.T) {
		s := newStore(t)
		if got := results(t, s, "never-ran"); len(got) != 0 {
			t.Errorf("got %d results, want none", len(got))
		}
	})

	t.Run("bad input is rejected and stores nothing", func(t *testing.T) {
		s := newStore(t)
		broken := Result(t, 0, 3)
		broken.Counts.Requests = 7
		otherRun := Result(t, 0, 3)
		otherRun.RunID = "run-2"
		tests := []struct {
			name  string
			runID string
			task  int
			r     loadtest.Result
		}{
			{name: "empty run id", runID: "", task: 0, r: Result(t, 0, 3)},
			{name: "path in run id", runID: "../run-1", task: 0, r: Result(t, 0, 3)},
			{name: "negative task", runID: "run-1", task: -1, r: Result(t, 0, 3)},
			{name: "task mismatch", runID: "run-1", task: 1, r: Result(t, 0, 3)},
			{name: "run mismatch", runID: "run-1", task: 0, r: otherRun},
			{name: "inconsistent result", runID: "run-1", task: 0, r: broken},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.Put(ctx, tt.runID, tt.task, tt.r)
				if !errors.Is(err, release.ErrInvalid) {
					t.Errorf("got %v, want an error matching release.ErrInvalid", err)
				}
			})
		}
		if got := results(t, s, "run-1"); len(got) != 0 {
			t.Errorf("got %d results after rejected puts, want none", len(got))
		}
		if _, err := s.Results(ctx, "../x"); !errors.Is(err, release.ErrInvalid) {
			t.Errorf("Results with a bad run id: got %v, want an error matching release.ErrInvalid", err)
		}
	})

	t.Run("results aggregate", func(t *testing.T) {
		s := newStore(t)
		for task := range 3 {
			put(t, s, "run-7", task, Result(t, task, 100))
		}
		rep, err := loadtest.Aggregate(ctx, s, "run-7", 3, release.Criteria{ErrorRate: 0.02})
		if err != nil {
			t.Fatalf("Aggregate: %v", err)
		}
		if !rep.Verdict.Passed || rep.Stats.Requests != 303 {
			t.Errorf("got %+v, want 303 requests passing", rep)
		}
	})
}

func put(tb testing.TB, s Store, runID string, task int, r loadtest.Result) {
	tb.Helper()
	if err := s.Put(context.Background(), runID, task, r); err != nil {
		tb.Fatalf("Put(%s, %d): %v", runID, task, err)
	}
}

func results(tb testing.TB, s Store, runID string) []loadtest.Result {
	tb.Helper()
	rs, err := s.Results(context.Background(), runID)
	if err != nil {
		tb.Fatalf("Results(%s): %v", runID, err)
	}
	return rs
}

func same(tb testing.TB, got, want loadtest.Result, runID string) {
	tb.Helper()
	var diffs []string
	check := func(ok bool, what string, g, w any) {
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", what, g, w))
		}
	}
	check(got.RunID == runID, "run", got.RunID, runID)
	check(got.Task == want.Task, "task", got.Task, want.Task)
	check(got.Tasks == want.Tasks, "tasks", got.Tasks, want.Tasks)
	check(got.Mode == want.Mode, "mode", got.Mode, want.Mode)
	check(got.Start.Equal(want.Start), "start", got.Start, want.Start)
	check(got.End.Equal(want.End), "end", got.End, want.End)
	check(got.HoldStart.Equal(want.HoldStart), "holdStart", got.HoldStart, want.HoldStart)
	check(got.Hold == want.Hold, "hold", got.Hold, want.Hold)
	check(got.Warmup == want.Warmup, "warmup", got.Warmup, want.Warmup)
	check(got.Counts == want.Counts, "counts", got.Counts, want.Counts)
	check(got.Latency.Equal(want.Latency), "latency", got.Latency.Count(), want.Latency.Count())
	for _, d := range diffs {
		tb.Errorf("stored result differs: %s", d)
	}
}
