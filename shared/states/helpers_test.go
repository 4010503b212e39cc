package states_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// mustParse parses def or fails the test.
func mustParse(tb testing.TB, def string) *states.StateMachine {
	tb.Helper()
	sm, err := states.Parse([]byte(def))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return sm
}

// runMachine runs def on a fresh engine and returns the result and the
// execution; it fails the test if the execution does not end in 10s.
func runMachine(tb testing.TB, def, input string, opts states.Options) (states.Result, *states.Execution) {
	tb.Helper()
	sm := mustParse(tb, def)
	if opts.Clock == nil {
		opts.Clock = states.NewVirtualClock(epoch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	x, res, err := states.New(opts).Run(ctx, sm, states.StartInput{Name: "test", Input: []byte(input)})
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res, x
}

// handlers builds a registry from resource → function.
func handlers(m map[string]states.TaskFunc) *states.Registry {
	r := states.NewRegistry()
	for res, f := range m {
		r.Handle(res, f)
	}
	return r
}

// echo is a task that returns its input.
func echo(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
	return req.Input, nil
}

// fixedRandom is a Random returning the same number.
type fixedRandom float64

func (f fixedRandom) Float64() float64 { return float64(f) }
