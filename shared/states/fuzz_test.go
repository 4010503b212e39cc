package states_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

// FuzzParseAndRun feeds definitions and inputs to Parse and runs whatever
// parses: it must never panic and every execution must end.
func FuzzParseAndRun(f *testing.F) {
	defs, _ := filepath.Glob("testdata/conformance/*/definition.asl.json")
	for _, d := range defs {
		def, err := os.ReadFile(d)
		if err != nil {
			f.Fatal(err)
		}
		in, _ := os.ReadFile(filepath.Join(filepath.Dir(d), "input.json"))
		f.Add(def, in)
	}
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"C"}],"Default":"A"},"C":{"Type":"Succeed"}}}`), []byte(`{}`))
	reg := states.NewRegistry()
	reg.HandlePrefix("arn:", states.TaskFunc(echo))
	f.Fuzz(func(t *testing.T, def, input []byte) {
		sm, err := states.Parse(def)
		if err != nil {
			if _, ok := err.(*states.ValidationError); !ok {
				t.Fatalf("Parse returned %T, want *ValidationError", err)
			}
			return
		}
		eng := states.New(states.Options{Clock: states.NewVirtualClock(time.Unix(0, 0)), Tasks: reg, MaxHistory: 2000})
		x, err := eng.Start(context.Background(), sm, states.StartInput{Input: input})
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := x.Wait(ctx)
		if err != nil {
			t.Fatalf("execution did not end: %v", err)
		}
		switch res.Status {
		case states.StatusSucceeded, states.StatusFailed, states.StatusTimedOut:
		default:
			t.Fatalf("got status %s", res.Status)
		}
		_ = x.History()
	})
}
