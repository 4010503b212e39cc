package main

import (
	"errors"
	"io"
	"strings"
	"testing"

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
