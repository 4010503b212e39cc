package states_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

// benchDir holds the reference definitions shared with
// tests/bench/states-vs-local-sfn.sh, which runs them on aws-local-stepfunctions.
const benchDir = "../../tests/bench/states"

var benchNames = []string{"pass-chain", "choice-chain", "map-1000", "parallel-10", "intrinsics"}

type benchCase struct {
	name   string
	sm     *states.StateMachine
	input  []byte
	output []byte
}

func loadBench(tb testing.TB, name string) benchCase {
	tb.Helper()
	read := func(suffix string) []byte {
		b, err := os.ReadFile(filepath.Join(benchDir, name+suffix))
		if err != nil {
			tb.Fatal(err)
		}
		return bytes.TrimSpace(b)
	}
	sm, err := states.Parse(read(".asl.json"))
	if err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	return benchCase{name: name, sm: sm, input: read(".input.json"), output: read(".output.json")}
}

// runOnce runs one execution on a fresh engine with a virtual clock and
// history mode mode, and returns its result and, when history is true
// (which needs HistoryFull), the number of state transitions it made.
func runOnce(tb testing.TB, c benchCase, mode states.HistoryMode, history bool) (states.Result, int) {
	tb.Helper()
	eng := states.New(states.Options{Clock: states.NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), History: mode})
	x, res, err := eng.Run(context.Background(), c.sm, states.StartInput{Input: c.input})
	if err != nil {
		tb.Fatalf("run %s: %v", c.name, err)
	}
	if !history {
		return res, 0
	}
	n := 0
	for _, ev := range x.History() {
		if strings.HasSuffix(ev.Type, "StateEntered") {
			n++
		}
	}
	return res, n
}

// TestBenchDefinitions checks that every reference definition succeeds with
// the output aws-local-stepfunctions produces, so both engines do the same
// work when benchmarked.
func TestBenchDefinitions(t *testing.T) {
	for _, name := range benchNames {
		t.Run(name, func(t *testing.T) {
			c := loadBench(t, name)
			res, n := runOnce(t, c, states.HistoryFull, true)
			if res.Status != states.StatusSucceeded {
				t.Fatalf("status: got %s (%s: %s), want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			if !bytes.Equal(res.Output, c.output) {
				t.Errorf("output:\n got %s\nwant %s", res.Output, c.output)
			}
			if n == 0 {
				t.Errorf("transitions: got 0, want > 0")
			}
		})
	}
}

// BenchmarkEngine runs each reference definition with its history stored
// and reports transitions/s, ns/transition, allocs/transition and
// executions/s.
func BenchmarkEngine(b *testing.B) { benchEngine(b, states.HistoryFull) }

// BenchmarkEngineCounted is BenchmarkEngine with history events counted
// (so the history limit still applies) but not stored, as
// aws-local-stepfunctions, which keeps no history.
func BenchmarkEngineCounted(b *testing.B) { benchEngine(b, states.HistoryCount) }

func benchEngine(b *testing.B, mode states.HistoryMode) {
	for _, name := range benchNames {
		b.Run(name, func(b *testing.B) {
			c := loadBench(b, name)
			_, transitions := runOnce(b, c, states.HistoryFull, true)
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				res, _ := runOnce(b, c, mode, false)
				if res.Status != states.StatusSucceeded {
					b.Fatalf("status %s: %s: %s", res.Status, res.Error, res.Cause)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			runtime.ReadMemStats(&after)
			total := float64(transitions) * float64(b.N)
			b.ReportMetric(float64(transitions), "transitions/op")
			b.ReportMetric(total/elapsed.Seconds(), "transitions/s")
			b.ReportMetric(float64(elapsed.Nanoseconds())/total, "ns/transition")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/transition")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "executions/s")
		})
	}
}
