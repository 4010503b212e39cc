package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/loadtest"
)

func TestRPSIsSharedAcrossTasks(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want float64
	}{
		{name: "one task", args: []string{"--rps", "300"}, want: 300},
		{name: "three tasks", args: []string{"--rps", "300", "--tasks", "3"}, want: 100},
		{name: "tasks from env", args: []string{"--rps", "300"}, env: map[string]string{"SHIPWAVE_LOADTEST_TASKS": "4"}, want: 75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--url", "http://x/", "--hold-for", "1s", "--run-id", "r", "--out", "d"}, tt.args...)
			o, err := parseOptions(args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if o.load.RPS != tt.want {
				t.Errorf("got %v rps for this task, want %v", o.load.RPS, tt.want)
			}
		})
	}
}

func TestConfigFromStateMachine(t *testing.T) {
	// What the loadtest state machine's RunTask state puts in the container's
	// environment: States.JsonToString of the wave's load test.
	const config = `{"tasks":4,"rps":200,"rampUp":30000000000,"holdFor":120000000000,"url":"http://orders.internal/health",` +
		`"criteria":{"p99":300000000,"errorRate":0.01},"taskIndexes":[0,1,2,3]}`
	base := map[string]string{
		"SHIPWAVE_LOADTEST_CONFIG":     config,
		"SHIPWAVE_LOADTEST_RUN_ID":     "exec-1-lt",
		"SHIPWAVE_LOADTEST_TASK_INDEX": "3",
		"SHIPWAVE_LOADTEST_OUT":        "dynamodb://shipwave",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for k, v := range base {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    loadtest.Config
		wantMsg string
	}{
		{
			name: "config alone", env: base,
			want: loadtest.Config{RunID: "exec-1-lt", Task: 3, URL: "http://orders.internal/health", Mode: loadtest.ModeRate, RPS: 50, RampUp: 30 * time.Second, HoldFor: 2 * time.Minute},
		},
		{
			name: "flags and variables override the config", args: []string{"--hold-for", "1s"}, env: with("SHIPWAVE_LOADTEST_URL", "http://127.0.0.1:8080/"),
			want: loadtest.Config{RunID: "exec-1-lt", Task: 3, URL: "http://127.0.0.1:8080/", Mode: loadtest.ModeRate, RPS: 50, RampUp: 30 * time.Second, HoldFor: time.Second},
		},
		{
			name: "concurrency config", env: with("SHIPWAVE_LOADTEST_CONFIG", `{"tasks":2,"concurrency":8,"holdFor":1000000000,"url":"http://x/"}`),
			want:    loadtest.Config{RunID: "exec-1-lt", Task: 3, URL: "http://x/", Mode: loadtest.ModeConcurrency, Concurrency: 8, HoldFor: time.Second},
			wantMsg: "--task-index: 3, want 0 to --tasks - 1 (1)",
		},
		{name: "not json", env: with("SHIPWAVE_LOADTEST_CONFIG", "{tasks"), wantMsg: "--config (or SHIPWAVE_LOADTEST_CONFIG): not a load test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, env(tt.env), io.Discard)
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("got %v, want an error containing %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := o.load
			got.Timeout, got.MaxInFlight = 0, 0
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParseOptions feeds arbitrary command lines (NUL-separated) and
// environments (KEY=VALUE lines): parsing never panics, fails only with a
// usage error, and what it accepts is usable.
func FuzzParseOptions(f *testing.F) {
	f.Add("--url\x00http://x/\x00--hold-for\x001s\x00--run-id\x00r\x00--out\x00d", "")
	f.Add("--rps\x00-1", "SHIPWAVE_LOADTEST_URL=http://x/\nSHIPWAVE_LOADTEST_RUN_ID=r\nSHIPWAVE_LOADTEST_OUT=dynamodb://t\nSHIPWAVE_LOADTEST_TASKS=0")
	f.Add("", "SHIPWAVE_LOADTEST_TASK_INDEX=9\nSHIPWAVE_LOADTEST_TASKS=3\nSHIPWAVE_LOADTEST_RUN_ID=r\nSHIPWAVE_LOADTEST_OUT=o")
	f.Fuzz(func(t *testing.T, argv, environ string) {
		var args []string
		if argv != "" {
			args = strings.Split(argv, "\x00")
		}
		vars := map[string]string{}
		for _, line := range strings.Split(environ, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				vars[k] = v
			}
		}
		o, err := parseOptions(args, env(vars), io.Discard)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %T %v, want a usage error", err, err)
			}
			return
		}
		if loadtest.CheckRunID(o.load.RunID) != nil || o.out == "" || o.load.Task < 0 {
			t.Fatalf("accepted unusable options %+v", o)
		}
	})
}
