package states_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/mock"
)

type corpusExpected struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  *string         `json:"cause"`
}

// TestCorpusEngine runs the recorded conformance corpus through the engine
// with the same comparison the CLI is checked with: status, error, cause and
// the compact output bytes.
func TestCorpusEngine(t *testing.T) {
	dirs, err := filepath.Glob("testdata/conformance/*/definition.asl.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no conformance corpus found: %v", err)
	}
	for _, def := range dirs {
		dir := filepath.Dir(def)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			runCorpusCase(t, dir)
		})
	}
}

func runCorpusCase(t *testing.T, dir string) {
	t.Helper()
	defb, _ := os.ReadFile(filepath.Join(dir, "definition.asl.json"))
	input, _ := os.ReadFile(filepath.Join(dir, "input.json"))
	var want corpusExpected
	eb, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(eb, &want); err != nil {
		t.Fatal(err)
	}
	sm, err := Parse(defb)
	if err != nil {
		if want.Status == "INVALID" {
			return
		}
		t.Fatalf("Parse: %v", err)
	}
	opts := Options{Clock: NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))}
	if mb, err := os.ReadFile(filepath.Join(dir, "mock.json")); err == nil {
		cfg, err := mock.Parse("mock-config.json", mb)
		if err != nil {
			t.Fatal(err)
		}
		tc, err := cfg.TestCase("Conformance", "Default")
		if err != nil {
			t.Fatal(err)
		}
		_ = tc
		r, err := mock.NewResolver(cfg, "Conformance", "Default", nil)
		if err != nil {
			t.Fatal(err)
		}
		opts.Tasks = r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, got, err := New(opts).Run(ctx, sm, StartInput{Input: input})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Status != want.Status || got.Error != want.Error {
		t.Errorf("got status %s error %q cause %q, want %s %q", got.Status, got.Error, got.Cause, want.Status, want.Error)
	}
	if want.Cause != nil && got.Cause != *want.Cause {
		t.Errorf("got cause\n%s\nwant\n%s", got.Cause, *want.Cause)
	}
	if want.Status == StatusSucceeded {
		wv, err := jsonvalue.Decode(want.Output)
		if err != nil {
			t.Fatalf("expected output: %v", err)
		}
		wb, _ := jsonvalue.Marshal(wv)
		if string(got.Output) != string(wb) {
			t.Errorf("got output %s, want %s", got.Output, wb)
		}
	}
}
