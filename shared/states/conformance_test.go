package states_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/mock"
)

// conformanceDir holds one directory per case: definition.asl.json,
// input.json, expected.json and, for Task states, mock.json in the Step
// Functions Local format with state machine "Conformance" and test case
// "Default". testdata/conformance/gen.py writes them.
const conformanceDir = "testdata/conformance"

// expectation is expected.json. A nil Cause means the exact text is not on
// public record, so the cause is not compared (beyond CauseContains).
type expectation struct {
	Source string          `json:"source"`
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  *string         `json:"cause"`
	// CauseContains is the part of the cause that is on public record when
	// the whole text is not.
	CauseContains string `json:"causeContains"`
}

func readCaseFile(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compactJSON(t testing.TB, b []byte) string {
	t.Helper()
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "null"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %q: %v", b, err)
	}
	return buf.String()
}

// TestConformance runs every case through the engine and compares status,
// output, error and cause exactly as Step Functions reports them.
func TestConformance(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(conformanceDir, "*", "definition.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 100 {
		t.Fatalf("found %d conformance cases, want at least 100", len(dirs))
	}
	for _, defPath := range dirs {
		dir := filepath.Dir(defPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			var want expectation
			if err := json.Unmarshal(readCaseFile(t, dir, "expected.json"), &want); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			if want.Source == "" {
				t.Fatalf("expected.json has no source")
			}
			sm, err := states.Parse(readCaseFile(t, dir, "definition.asl.json"))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			run := func(mode states.HistoryMode) (*states.Execution, states.Result) {
				t.Helper()
				opts := states.Options{Clock: states.NewVirtualClock(time.Date(2024, 3, 14, 1, 59, 0, 0, time.UTC)), History: mode}
				if b, err := os.ReadFile(filepath.Join(dir, "mock.json")); err == nil {
					cfg, err := mock.Parse(filepath.Join(dir, "mock.json"), b)
					if err != nil {
						t.Fatal(err)
					}
					r, err := mock.NewResolver(cfg, "Conformance", "Default", nil)
					if err != nil {
						t.Fatal(err)
					}
					opts.Tasks = r
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				x, res, err := states.New(opts).Run(ctx, sm, states.StartInput{
					Name:  "conformance",
					Input: readCaseFile(t, dir, "input.json"),
				})
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				return x, res
			}
			x, got := run(states.HistoryFull)
			// Counting events instead of storing them changes nothing else.
			cx, counted := run(states.HistoryCount)
			if counted.Status != got.Status || counted.Error != got.Error || counted.Cause != got.Cause || !bytes.Equal(counted.Output, got.Output) {
				t.Errorf("HistoryCount result: got %+v, want the HistoryFull result %+v", counted, got)
			}
			// Branches that race (a Parallel whose failing branch cancels a
			// sibling that may or may not have run) can record different
			// numbers of events from one run to the next; a counting bug
			// differs in every run, so a few reruns tell the two apart.
			for attempt := 0; cx.HistoryLen() != len(x.History()); attempt++ {
				if attempt == 5 {
					t.Errorf("HistoryCount HistoryLen: got %d, want %d (HistoryFull's events), in 6 pairs of runs", cx.HistoryLen(), len(x.History()))
					break
				}
				x, _ = run(states.HistoryFull)
				cx, _ = run(states.HistoryCount)
			}
			if h := cx.History(); h != nil {
				t.Errorf("HistoryCount History: got %d events, want nil", len(h))
			}
			if got.Status != want.Status {
				t.Errorf("status: got %s, want %s", got.Status, want.Status)
			}
			if got.Error != want.Error {
				t.Errorf("error: got %q, want %q", got.Error, want.Error)
			}
			if want.Cause != nil && got.Cause != *want.Cause {
				t.Errorf("cause:\n got %q\nwant %q", got.Cause, *want.Cause)
			}
			if want.CauseContains != "" && !strings.Contains(got.Cause, want.CauseContains) {
				t.Errorf("cause:\n got %q\nwant it to contain %q", got.Cause, want.CauseContains)
			}
			if g, w := compactJSON(t, got.Output), compactJSON(t, want.Output); g != w {
				t.Errorf("output:\n got %s\nwant %s", g, w)
			}
			if t.Failed() {
				t.Logf("source: %s", want.Source)
			}
		})
	}
}

// FuzzExecute mutates the corpus definitions and inputs: Parse must either
// reject a definition or run it to an end state, without panicking and
// within a few seconds of wall time on the virtual clock, with the same
// result whether history is stored or only counted.
func FuzzExecute(f *testing.F) {
	dirs, err := filepath.Glob(filepath.Join(conformanceDir, "*", "definition.asl.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, defPath := range dirs {
		dir := filepath.Dir(defPath)
		if _, err := os.Stat(filepath.Join(dir, "mock.json")); err == nil {
			continue // Tasks need the case's mock; they fail fast without it anyway.
		}
		f.Add(readCaseFile(f, dir, "definition.asl.json"), readCaseFile(f, dir, "input.json"))
	}
	f.Fuzz(func(t *testing.T, def, input []byte) {
		sm, err := states.Parse(def)
		if err != nil {
			var ve *states.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Parse error %T %v, want *ValidationError with problems", err, err)
			}
			return
		}
		run := func(mode states.HistoryMode) (states.Result, bool) {
			eng := states.New(states.Options{Clock: states.NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), MaxHistory: 2000, History: mode, Random: fixedRandom(0.5)})
			x, err := eng.Start(context.Background(), sm, states.StartInput{Input: input})
			if err != nil {
				return states.Result{}, false // invalid input JSON is refused up front
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := x.Wait(ctx)
			if err != nil {
				x.Stop("", "")
				t.Fatalf("execution still running after 5s of wall time (status %s)\ndefinition: %s\ninput: %s", res.Status, def, input)
			}
			return res, true
		}
		res, ok := run(states.HistoryFull)
		if !ok {
			return
		}
		// Counting history instead of storing it changes no result.
		if counted, _ := run(states.HistoryCount); counted.Status != res.Status || counted.Error != res.Error || counted.Cause != res.Cause || !bytes.Equal(counted.Output, res.Output) {
			t.Fatalf("HistoryCount: got %+v, want the HistoryFull result %+v\ndefinition: %s\ninput: %s", counted, res, def, input)
		}
		switch res.Status {
		case states.StatusSucceeded:
			if !json.Valid(res.Output) {
				t.Fatalf("SUCCEEDED with invalid output %q", res.Output)
			}
		case states.StatusFailed, states.StatusTimedOut, states.StatusAborted:
		default:
			t.Fatalf("ended with status %q", res.Status)
		}
	})
}
