package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/loadtest/loadtesttest"
	"github.com/shipwave/shipwave/shared/loadtest/resultdynamo"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
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
	st := store.New(client, table)
	rel, _, err := st.CreateRelease(ctx, release.Release{Pipeline: "orders", Version: "abc", Status: release.StatusPending,
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: "k1", Time: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	lt := func(tasks int, c release.Criteria) release.LoadTest {
		return release.LoadTest{Tasks: tasks, Criteria: c}
	}
	type Input = loadtest.AggregateInput
	tests := []struct {
		name       string
		in         Input
		wantPassed bool
		wantIn     string // substring of summary
		wantErr    bool
	}{
		{name: "all tasks reported, criteria met", in: Input{RunID: "run-1", Target: release.Target{Name: "orders"}, LoadTest: lt(2, release.Criteria{ErrorRate: 0.05})},
			wantPassed: true, wantIn: "run-1"},
		{name: "criteria missed", in: Input{RunID: "run-1", LoadTest: lt(2, release.Criteria{P50: time.Millisecond})},
			wantPassed: false, wantIn: "p50"},
		{name: "missing task", in: Input{RunID: "run-1", LoadTest: lt(3, release.Criteria{})},
			wantPassed: false, wantIn: "2"},
		{name: "records the verdict", in: Input{RunID: "run-1", ReleaseID: rel.ID, LoadTest: lt(2, release.Criteria{})}, wantPassed: true, wantIn: "run-1"},
		{name: "bad run id", in: Input{RunID: "../x", LoadTest: lt(1, release.Criteria{})}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &loadtest.Aggregator{Source: results, Events: st, Now: time.Now}
			out, err := aggregate(a)(ctx, tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatal("got nil error, want one")
				}
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

func TestAggregateRecordsVerdict(t *testing.T) {
	ctx := context.Background()
	client, table := dynalitetest.Table(t)
	results := resultdynamo.New(client, table, time.Now)
	if err := results.Put(ctx, "run-2", 0, loadtesttest.Result(t, 0, 50)); err != nil {
		t.Fatal(err)
	}
	st := store.New(client, table)
	rel, _, err := st.CreateRelease(ctx, release.Release{Pipeline: "orders", Version: "abc", Status: release.StatusPending,
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: "k2", Time: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	a := &loadtest.Aggregator{Source: results, Events: st, Now: time.Now}
	if _, err := aggregate(a)(ctx, loadtest.AggregateInput{RunID: "run-2", ReleaseID: rel.ID, Stage: "beta", Target: release.Target{Name: "orders"},
		LoadTest: release.LoadTest{Tasks: 1}}); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, rel.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[len(evs)-1].Type != release.EventLoadTestPassed || evs[len(evs)-1].Target != "orders" {
		t.Errorf("events = %+v, want a LoadTestPassed for target orders last", evs)
	}
}

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME")
}
