package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/loadtest/resultdir"
	"github.com/shipwave/shipwave/shared/loadtest/resultdynamo"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/testbin"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// server starts a loopback target counting its requests.
func server(tb testing.TB) (*httptest.Server, *atomic.Int64) {
	tb.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(srv.Close)
	return srv, &n
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCmd runs the command in-process and returns its exit code and output.
func runCmd(tb testing.TB, ctx context.Context, args []string, getenv map[string]string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, args, env(getenv), &out, &errOut)
	code = exitCode(err, &errOut)
	return code, out.String(), errOut.String()
}

func summaryOf(tb testing.TB, stdout string) loadtest.Summary {
	tb.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1 {
		tb.Fatalf("got %d lines on stdout, want one JSON line:\n%s", len(lines), stdout)
	}
	var s loadtest.Summary
	if err := json.Unmarshal([]byte(lines[0]), &s); err != nil {
		tb.Fatalf("stdout is not a JSON summary: %v\n%s", err, stdout)
	}
	return s
}

func TestRateTaskStoresResultForAggregator(t *testing.T) {
	srv, hits := server(t)
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, context.Background(), []string{
		"--url", srv.URL, "--mode", "rate", "--rps", "100", "--tasks", "2", "--ramp-up", "200ms", "--hold-for", "500ms",
		"--run-id", "lt-1", "--task-index", "1", "--out", dir,
	}, nil)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	s := summaryOf(t, stdout)
	// This task's share is 50 rps: 5 requests in the ramp, 25 in the hold.
	if s.RunID != "lt-1" || s.Task != 1 || s.Requests != 25 || s.Errors != 0 {
		t.Errorf("got summary %+v, want run lt-1 task 1 with 25 clean requests", s)
	}
	if got := hits.Load(); got != 30 {
		t.Errorf("server saw %d requests, want 30", got)
	}
	if !strings.Contains(stderr, `"msg":"load test done"`) || !strings.Contains(stderr, `"runId":"lt-1"`) {
		t.Errorf("stderr lacks the JSON log lines with the run id:\n%s", stderr)
	}
	rep, err := loadtest.Aggregate(context.Background(), resultdir.New(dir), "lt-1", 2, release.Criteria{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict.Passed || len(rep.Missing) != 1 || rep.Missing[0] != 0 || rep.Stats.Requests != 25 {
		t.Errorf("got report %+v, want task 1's 25 requests and task 0 missing", rep)
	}
}

func TestEnvironmentConfiguresAndFlagsWin(t *testing.T) {
	srv, _ := server(t)
	dir := t.TempDir()
	vars := map[string]string{
		"SHIPWAVE_LOADTEST_URL":         srv.URL,
		"SHIPWAVE_LOADTEST_MODE":        "concurrency",
		"SHIPWAVE_LOADTEST_CONCURRENCY": "2",
		"SHIPWAVE_LOADTEST_HOLD_FOR":    "10m",
		"SHIPWAVE_LOADTEST_RUN_ID":      "lt-env",
		"SHIPWAVE_LOADTEST_TASK_INDEX":  "3",
		"SHIPWAVE_LOADTEST_TASKS":       "4",
		"SHIPWAVE_LOADTEST_OUT":         dir,
	}
	began := time.Now()
	code, stdout, stderr := runCmd(t, context.Background(), []string{"--hold-for", "300ms"}, vars)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("took %v: the --hold-for flag should override the 10m from the environment", took)
	}
	s := summaryOf(t, stdout)
	if s.Mode != loadtest.ModeConcurrency || s.Task != 3 || s.Requests == 0 {
		t.Errorf("got %+v, want a concurrency run of task 3", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "lt-env", "task-00003.json")); err != nil {
		t.Errorf("result file: %v", err)
	}
}

func TestDynamoDBOut(t *testing.T) {
	srv, _ := server(t)
	client, table := dynalitetest.Table(t)
	endpoint := dynalitetest.Server(t).Endpoint()
	code, stdout, stderr := runCmd(t, context.Background(), []string{
		"--url", srv.URL, "--rps", "40", "--hold-for", "250ms", "--run-id", "lt-ddb", "--out", "dynamodb://" + table,
	}, map[string]string{"SHIPWAVE_LOADTEST_DYNAMODB_ENDPOINT": endpoint})
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	s := summaryOf(t, stdout)
	rs, err := resultdynamo.New(client, table, time.Now).Results(context.Background(), "lt-ddb")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Counts.Requests != s.Requests || s.Requests != 10 {
		t.Errorf("stored %d results, want one matching the summary's %d requests (10 expected)", len(rs), s.Requests)
	}
}

func TestInterruptedRunStoresPartialResult(t *testing.T) {
	srv, _ := server(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	code, stdout, stderr := runCmd(t, ctx, []string{
		"--url", srv.URL, "--rps", "50", "--hold-for", "1m", "--run-id", "lt-int", "--out", dir,
	}, nil)
	if code != 1 || !strings.Contains(stderr, "interrupted") {
		t.Errorf("exit %d, want 1 with an interruption message; stderr:\n%s", code, stderr)
	}
	if s := summaryOf(t, stdout); !s.Interrupted || s.Requests == 0 {
		t.Errorf("got %+v, want a partial, interrupted summary", s)
	}
	rs, err := resultdir.New(dir).Results(context.Background(), "lt-int")
	if err != nil || len(rs) != 1 || !rs[0].Interrupted {
		t.Errorf("got %d stored results (%v), want the interrupted one", len(rs), err)
	}
}

func TestUsageErrors(t *testing.T) {
	base := []string{"--url", "http://127.0.0.1:1/", "--rps", "10", "--hold-for", "1s", "--run-id", "r", "--out", t.TempDir()}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantMsg string
	}{
		{name: "unknown flag", args: append([]string{"--bogus"}, base...), wantMsg: "flag provided but not defined: -bogus"},
		{name: "stray argument", args: append(append([]string{}, base...), "extra"), wantMsg: `unexpected argument "extra"`},
		{name: "bad env value", args: base, env: map[string]string{"SHIPWAVE_LOADTEST_TIMEOUT": "soon"}, wantMsg: `SHIPWAVE_LOADTEST_TIMEOUT="soon"`},
		{name: "no run id", args: []string{"--url", "http://x/", "--rps", "1", "--hold-for", "1s", "--out", "d"}, wantMsg: "--run-id (or SHIPWAVE_LOADTEST_RUN_ID) is required"},
		{name: "bad run id", args: append(append([]string{}, base...), "--run-id", "../x"), wantMsg: "--run-id: run id"},
		{name: "no out", args: []string{"--url", "http://x/", "--rps", "1", "--hold-for", "1s", "--run-id", "r"}, wantMsg: "--out (or SHIPWAVE_LOADTEST_OUT) is required"},
		{name: "bad dynamodb out", args: append(append([]string{}, base...), "--out", "dynamodb://"), wantMsg: `--out: "dynamodb://", want dynamodb://TABLE`},
		{name: "bad mode", args: append(append([]string{}, base...), "--mode", "burst"), wantMsg: `mode: "burst"`},
		{name: "no rate", args: append(append([]string{}, base...), "--rps", "0"), wantMsg: "rps: 0"},
		{name: "no url", args: append(append([]string{}, base...), "--url", ""), wantMsg: "url:"},
		{name: "task index past tasks", args: append(append([]string{}, base...), "--tasks", "2", "--task-index", "2"), wantMsg: "--task-index: 2, want 0 to --tasks - 1 (1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, context.Background(), tt.args, tt.env)
			if code != 2 || !strings.Contains(stderr, tt.wantMsg) {
				t.Errorf("exit %d, want 2 with %q; stderr:\n%s", code, tt.wantMsg, stderr)
			}
			if stdout != "" {
				t.Errorf("got stdout %q, want nothing on a usage error", stdout)
			}
		})
	}
}

// TestBinary runs the built command as a real process, as the local stack
// and ECS do.
func TestBinary(t *testing.T) {
	bin := testbin.Path(t, "github.com/shipwave/shipwave/cmd/loadgen")
	t.Cleanup(testbin.Clean)
	srv, _ := server(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--url", srv.URL, "--rps", "20", "--hold-for", "250ms", "--out", dir)
	cmd.Env = append(os.Environ(), "SHIPWAVE_LOADTEST_RUN_ID=lt-bin")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("loadgen: %v\n%s", err, stderr.String())
	}
	if s := summaryOf(t, stdout.String()); s.Requests != 5 {
		t.Errorf("got %+v, want 5 requests", s)
	}
	bad := exec.Command(bin, "--url", srv.URL)
	err := bad.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("with missing flags: got %v, want exit status 2", err)
	}
}
