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
	f.Add([]byte(`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value * 10 %}"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"x":"{% $states.input.v %}"},"Output":"{% $x %}","End":true}}},"Next":"C"},"C":{"Type":"Choice","Choices":[{"Condition":"{% $count($states.input) > 1 %}","Next":"W"}],"Default":"F"},"W":{"Type":"Wait","Seconds":"{% 1 %}","End":true},"F":{"Type":"Fail","Error":"{% 'E' %}"}}}`), []byte(`{"xs":[1,2]}`))
	f.Add([]byte(`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"Payload":"{% $states.input %}"},"TimeoutSeconds":"{% 5 %}","Catch":[{"ErrorEquals":["States.ALL"],"Output":"{% $states.errorOutput %}","Next":"S"}],"Output":"{% $states.result %}","End":true},"S":{"Type":"Succeed"}}}`), []byte(`{}`))
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
