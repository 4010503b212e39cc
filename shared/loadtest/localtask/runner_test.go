package localtask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/loadtest/resultdir"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/lambdatask"
	"github.com/shipwave/shipwave/shared/states/tasks"
	"github.com/shipwave/shipwave/shared/testbin"
	"github.com/shipwave/shipwave/statemachines"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Clean()
	os.Exit(code)
}

// binary is cmd/loadgen, built once per test binary (testbin).
func binary(tb testing.TB) string {
	tb.Helper()
	return testbin.Path(tb, "github.com/shipwave/shipwave/cmd/loadgen")
}

// target is a loopback service answering status after delay.
func target(tb testing.TB, status int, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	tb.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		time.Sleep(delay) // the target's latency under test
		w.WriteHeader(status)
	}))
	tb.Cleanup(srv.Close)
	return srv, &n
}

func params(tb testing.TB, env map[string]string) json.RawMessage {
	tb.Helper()
	var entries []envEntry
	for k, v := range env {
		entries = append(entries, envEntry{Name: k, Value: v})
	}
	p := map[string]any{
		"Cluster":        "arn:aws:ecs:us-east-1:123456789012:cluster/shipwave",
		"TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/shipwave-loadgen:1",
		"LaunchType":     "FARGATE",
		"Overrides": map[string]any{"ContainerOverrides": []any{
			map[string]any{"Name": "sidecar", "Environment": []envEntry{{Name: "SHIPWAVE_LOADTEST_HOLD_FOR", Value: "1h"}}},
			map[string]any{"Name": "loadgen", "Environment": entries},
		}},
	}
	data, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestRunTask(t *testing.T) {
	srv, hits := target(t, http.StatusOK, 0)
	dir := t.TempDir()
	r := &Runner{Bin: binary(t), Env: []string{"SHIPWAVE_LOADTEST_OUT=" + dir}, Container: "loadgen"}
	out, err := r.RunTask(context.Background(), params(t, map[string]string{
		"SHIPWAVE_LOADTEST_RUN_ID":     "lt-1",
		"SHIPWAVE_LOADTEST_TASK_INDEX": "0",
		"SHIPWAVE_LOADTEST_CONFIG":     fmt.Sprintf(`{"tasks":1,"rps":40,"holdFor":250000000,"url":%q}`, srv.URL),
	}))
	if err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	var desc struct {
		Tasks []struct {
			LastStatus string
			Containers []struct {
				Name     string
				ExitCode int
			}
		}
	}
	if err := json.Unmarshal(out, &desc); err != nil || len(desc.Tasks) != 1 || desc.Tasks[0].LastStatus != "STOPPED" ||
		len(desc.Tasks[0].Containers) != 1 || desc.Tasks[0].Containers[0].Name != "loadgen" || desc.Tasks[0].Containers[0].ExitCode != 0 {
		t.Errorf("got description %s (%v), want one STOPPED task whose loadgen container exited 0", out, err)
	}
	if got := hits.Load(); got != 10 {
		t.Errorf("target saw %d requests, want 10 (40 rps for 250ms; the sidecar's override must not apply)", got)
	}
	rs, err := resultdir.New(dir).Results(context.Background(), "lt-1")
	if err != nil || len(rs) != 1 || rs[0].Counts.OK != 10 {
		t.Errorf("got %d stored results (%v), want task 0's with 10 OK", len(rs), err)
	}
}

func TestRunTaskFailures(t *testing.T) {
	tests := []struct {
		name     string
		bin      func(tb testing.TB) string
		params   json.RawMessage
		wantName string
		wantMsg  string
	}{
		{
			name: "loadgen rejects its configuration", bin: binary,
			params:   params(t, map[string]string{"SHIPWAVE_LOADTEST_RUN_ID": "lt-1", "SHIPWAVE_LOADTEST_OUT": "d"}),
			wantName: failure.TaskFailed, wantMsg: `"ExitCode":2`,
		},
		{
			name: "binary missing", bin: func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "nope") },
			params:   params(t, nil),
			wantName: failure.TaskFailed, wantMsg: "start ",
		},
		{name: "bad parameters", bin: binary, params: json.RawMessage(`[1]`), wantName: failure.Runtime, wantMsg: "invalid ecs:runTask parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Bin: tt.bin(t)}
			_, err := r.RunTask(context.Background(), tt.params)
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Name != tt.wantName || !strings.Contains(fe.Cause, tt.wantMsg) {
				t.Errorf("got %v, want %s containing %q", err, tt.wantName, tt.wantMsg)
			}
		})
	}
}

func TestRunTaskStopsOnCancel(t *testing.T) {
	srv, _ := target(t, http.StatusOK, 0)
	dir := t.TempDir()
	r := &Runner{Bin: binary(t), Env: []string{"SHIPWAVE_LOADTEST_OUT=" + dir}}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := r.RunTask(ctx, params(t, map[string]string{
		"SHIPWAVE_LOADTEST_RUN_ID": "lt-stop",
		"SHIPWAVE_LOADTEST_CONFIG": fmt.Sprintf(`{"tasks":1,"rps":20,"holdFor":600000000000,"url":%q}`, srv.URL),
	}))
	var fe *failure.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Cause, "UserInitiated") {
		t.Errorf("got %v, want a TaskFailed with StopCode UserInitiated", err)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("took %v to stop, want it to stop soon after the cancel", took)
	}
	// Stopped with an interrupt, the task still stored its partial result.
	rs, err := resultdir.New(dir).Results(context.Background(), "lt-stop")
	if err != nil || len(rs) != 1 || !rs[0].Interrupted {
		t.Errorf("got %d results (%v), want the interrupted partial result", len(rs), err)
	}
}

// TestLoadTestStateMachine runs statemachines/loadtest.asl.json on the
// embedded engine: its Map starts real loadgen processes through RunTask and
// its Aggregate state calls loadtest.Aggregator in-process.
func TestLoadTestStateMachine(t *testing.T) {
	healthy, _ := target(t, http.StatusOK, 0)
	failing, _ := target(t, http.StatusServiceUnavailable, 0)
	tests := []struct {
		name       string
		url        string
		criteria   string
		wantStatus string
		wantCause  string
	}{
		{name: "passes", url: healthy.URL, criteria: `{"p99":2000000000,"errorRate":0.01,"minRps":50}`, wantStatus: "SUCCEEDED"},
		{name: "errors fail it", url: failing.URL, criteria: `{"errorRate":0.01}`, wantStatus: "FAILED", wantCause: "criteria not met: errorRate 100.00% (60 of 60), want <= 1%"},
		{name: "too slow for the minimum rate", url: healthy.URL, criteria: `{"minRps":500}`, wantStatus: "FAILED", wantCause: "minRps 120.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			runner := &Runner{Bin: binary(t), Env: []string{"SHIPWAVE_LOADTEST_OUT=" + dir}, Container: "loadgen"}
			agg := &loadtest.Aggregator{Source: resultdir.New(dir), Now: time.Now}
			reg := states.NewRegistry()
			tasks.Register(reg, tasks.Config{
				Functions:  tasks.Functions{"loadtest-aggregate": lambdatask.New("loadtest-aggregate", agg.Handle)},
				ECSRunTask: runner.RunTask,
			})
			def, err := statemachines.Load(statemachines.LoadTest, map[string]string{
				"LoadTestClusterArn":           "arn:aws:ecs:us-east-1:123456789012:cluster/shipwave",
				"LoadTestTaskDefinitionArn":    "arn:aws:ecs:us-east-1:123456789012:task-definition/shipwave-loadgen:1",
				"LoadTestSubnets":              "subnet-1",
				"LoadTestSecurityGroup":        "sg-1",
				"LoadTestAggregateFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:loadtest-aggregate",
			})
			if err != nil {
				t.Fatal(err)
			}
			sm, err := states.Parse(def)
			if err != nil {
				t.Fatal(err)
			}
			// What deploy.asl.json's LoadTest state starts it with: 3 tasks
			// sharing 120 rps for 500ms.
			input := fmt.Sprintf(`{"releaseId":"rel-1","pipeline":"orders","stage":"beta","wave":"one-box",
				"target":{"type":"local","name":"orders"},"runId":"exec-1-lt",
				"loadTest":{"tasks":3,"rps":120,"holdFor":500000000,"url":%q,"criteria":%s,"taskIndexes":[0,1,2]},
				"tasks":[0,1,2]}`, tt.url, tt.criteria)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_, res, err := states.New(states.Options{Tasks: reg}).Run(ctx, sm, states.StartInput{Input: []byte(input)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.wantStatus {
				t.Fatalf("got %s (%s: %s), want %s", res.Status, res.Error, res.Cause, tt.wantStatus)
			}
			if tt.wantStatus == "FAILED" && (res.Error != "LoadTestFailed" || !strings.Contains(res.Cause, tt.wantCause)) {
				t.Errorf("got %s: %s, want LoadTestFailed with %q", res.Error, res.Cause, tt.wantCause)
			}
			rs, err := resultdir.New(dir).Results(ctx, "exec-1-lt")
			if err != nil || len(rs) != 3 {
				t.Fatalf("got %d stored results (%v), want one per task", len(rs), err)
			}
			merged, err := loadtest.Merge(rs...)
			if err != nil || merged.Counts.Attempts() != 60 {
				t.Errorf("merged %d attempts (%v), want 3 × 40 rps × 0.5s = 60", merged.Counts.Attempts(), err)
			}
		})
	}
}
