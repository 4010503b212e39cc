package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/loadtest/loadtesttest"
	"github.com/shipwave/shipwave/shared/loadtest/resultdynamo"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestAggregate(t *testing.T) {
	ctx := context.Background()
	client, table := dynalitetest.Table(t)
	results := resultdynamo.New(client, table, time.Now)
	for task := range 2 {
		r := loadtesttest.Result(t, task, 200)
		r.Tasks = 3
		if err := results.Put(ctx, "run-1", task, r); err != nil {
			t.Fatal(err)
		}
	}
	lt := func(tasks int, c release.Criteria) release.LoadTest {
		return release.LoadTest{Tasks: tasks, Criteria: c}
	}
	tests := []struct {
		name       string
		in         loadtest.AggregateInput
		wantPassed bool
		wantIn     string // substring of summary
		wantErr    bool
	}{
		{name: "all tasks reported, criteria met", in: loadtest.AggregateInput{RunID: "run-1", Target: release.Target{Name: "orders"}, LoadTest: lt(2, release.Criteria{ErrorRate: 0.05})},
			wantPassed: true, wantIn: "load test run-1 passed: 402 requests"},
		{name: "criteria missed", in: loadtest.AggregateInput{RunID: "run-1", LoadTest: lt(2, release.Criteria{P50: time.Millisecond})},
			wantPassed: false, wantIn: "load test run-1 failed: "},
		{name: "missing task", in: loadtest.AggregateInput{RunID: "run-1", LoadTest: lt(3, release.Criteria{})},
			wantPassed: false, wantIn: "missing tasks 2"},
		{name: "bad run id", in: loadtest.AggregateInput{RunID: "../x", LoadTest: lt(1, release.Criteria{})}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := aggregate(&loadtest.Aggregator{Source: results, Now: time.Now})(ctx, tt.in)
			if tt.wantErr {
				var inv *control.InvalidInput
				if !errors.As(err, &inv) {
					t.Fatalf("err = %#v, want *control.InvalidInput", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Passed != tt.wantPassed || !strings.Contains(out.Summary, tt.wantIn) {
				t.Errorf("out = passed %v summary %q; want passed %v and summary containing %q", out.Passed, out.Summary, tt.wantPassed, tt.wantIn)
			}
			// The state machine reads $.report.passed (boolean) and
			// $.report.summary (a string: the Fail state's CausePath).
			b, _ := json.Marshal(out)
			var shape struct {
				Passed  *bool   `json:"passed"`
				Summary *string `json:"summary"`
			}
			if err := json.Unmarshal(b, &shape); err != nil || shape.Passed == nil || shape.Summary == nil {
				t.Errorf("output %s lacks boolean passed or string summary", b)
			}
		})
	}
}

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	_, err := newHandler(context.Background(), func(string) string { return "" }, observe.NewLogger(&bytes.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("err = %v, want one naming TABLE_NAME", err)
	}
}
