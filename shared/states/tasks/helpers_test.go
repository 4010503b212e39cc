package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/states"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// run parses def, runs it on eng and returns the result.
func run(tb testing.TB, eng *states.Engine, def, input string) states.Result {
	tb.Helper()
	sm, err := states.Parse([]byte(def))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, res, err := eng.Run(ctx, sm, states.StartInput{Input: []byte(input)})
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// startDynalite starts a dynalite of the test's own (its tables are the
// test's alone) and returns its endpoint.
func startDynalite(tb testing.TB) string {
	tb.Helper()
	return dynalitetest.Own(tb).Endpoint()
}
