package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/hooks/runner"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
)

var inv = hooks.Invocation{
	ReleaseID: "rel-42", Pipeline: "orders-api", Stage: "prod", Wave: "one-box",
	Target: "orders-live", Phase: hooks.PreTraffic, Version: "3f2a9c1", Candidate: "7",
}

var fixedNow = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)

func TestLambdaHook(t *testing.T) {
	tests := []struct {
		name       string
		answer     string
		fnErr      string
		hang       bool // the function answers only once the test ends
		hook       string
		wantFailed string // substring of the Failed reason; empty means pass
	}{
		{name: "null answer passes", answer: "null"},
		{name: "succeeded passes", answer: `{"status":"Succeeded"}`},
		{name: "failed with reason", answer: `{"status":"Failed","reason":"smoke test: GET /orders returned 500"}`, wantFailed: "smoke test: GET /orders returned 500"},
		{name: "unknown status", answer: `{"status":"Maybe"}`, wantFailed: `unknown status "Maybe"`},
		{name: "function error", answer: `{"errorType":"Runtime.ExitError","errorMessage":"exit status 2"}`, fnErr: "Unhandled", wantFailed: "function error (Unhandled): Runtime.ExitError: exit status 2"},
		{name: "missing function", hook: "orders-nope", wantFailed: "function not found"},
		{name: "timeout", answer: "null", hang: true, wantFailed: "no answer within 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := awsfake.NewLambda(t)
			fake.AddFunction("orders-smoke", "sha")
			var got []byte
			ended := make(chan struct{})
			t.Cleanup(func() { close(ended) }) // before the fake closes
			fake.HandleInvoke("orders-smoke", func(_, _ string, payload []byte) ([]byte, string) {
				got = payload
				if tt.hang {
					<-ended
				}
				return []byte(tt.answer), tt.fnErr
			})
			r := runner.New(runner.Config{Lambda: lambda.NewFromConfig(awsfake.Config(fake.URL()))})
			fn := "orders-smoke"
			if tt.hook != "" {
				fn = tt.hook
			}
			err := r.Run(context.Background(), release.Hook{Lambda: fn, Timeout: 50 * time.Millisecond}, inv)
			checkVerdict(t, err, tt.wantFailed)
			if tt.hook != "" || tt.hang {
				return
			}
			var sent hooks.Invocation
			if err := json.Unmarshal(got, &sent); err != nil || sent != inv {
				t.Errorf("hook received %s, want the invocation %+v", got, inv)
			}
			reqs := fake.Requests("Invoke")
			if it := reqs[len(reqs)-1].Params["InvocationType"]; it != "RequestResponse" {
				t.Errorf("InvocationType = %v, want RequestResponse", it)
			}
		})
	}
}

func TestLambdaHookAPIFailures(t *testing.T) {
	fake := awsfake.NewLambda(t)
	fake.AddFunction("orders-smoke", "sha")
	r := runner.New(runner.Config{Lambda: lambda.NewFromConfig(awsfake.Config(fake.URL()))})
	hook := release.Hook{Lambda: "orders-smoke"}

	fake.Throttle("Invoke", 2)
	if err := r.Run(context.Background(), hook, inv); err != nil {
		t.Errorf("Run after 2 throttles = %v, want retried to success", err)
	}
	fake.Throttle("Invoke", 0)
	err := r.Run(context.Background(), hook, inv)
	var failed *hooks.Failed
	if err == nil || errors.As(err, &failed) || !strings.Contains(err.Error(), "TooManyRequestsException") {
		t.Errorf("Run under persistent throttling = %v, want a transient API error, not *Failed", err)
	}
}

func checkVerdict(t *testing.T, err error, wantFailed string) {
	t.Helper()
	if wantFailed == "" {
		if err != nil {
			t.Fatalf("Run = %v, want pass", err)
		}
		return
	}
	var failed *hooks.Failed
	if !errors.As(err, &failed) {
		t.Fatalf("Run = %v, want *hooks.Failed", err)
	}
	if failed.Phase != hooks.PreTraffic || !strings.Contains(failed.Reason, wantFailed) {
		t.Errorf("Failed = %+v, want phase preTraffic and reason containing %q", failed, wantFailed)
	}
}

func TestHTTPHook(t *testing.T) {
	secret := []byte("hook-secret")
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantFailed string
	}{
		{name: "204 passes", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }},
		{name: "200 with succeeded", handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"Succeeded"}`) }},
		{name: "200 with failed", handler: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"status":"Failed","reason":"canary checks red"}`)
		}, wantFailed: "canary checks red"},
		{name: "503", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		}, wantFailed: "HTTP 503: maintenance"},
		{name: "redirect not followed", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				t.Errorf("redirect was followed")
			}
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, wantFailed: `HTTP 302 redirect to "/elsewhere" not followed`},
		{name: "timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, wantFailed: "no answer within 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var verified atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/hook" {
					body, _ := io.ReadAll(r.Body)
					err := hooks.Verify(secret, r.Header.Get(hooks.HeaderTimestamp), body, r.Header.Get(hooks.HeaderSignature), fixedNow, 5*time.Minute)
					if err != nil {
						t.Errorf("hook endpoint could not verify the request: %v", err)
					}
					var got hooks.Invocation
					if json.Unmarshal(body, &got) != nil || got != inv || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
						t.Errorf("hook received %s %s (%s), want POST of the invocation JSON", r.Method, body, r.Header.Get("Content-Type"))
					}
					verified.Store(true)
				}
				tt.handler(w, r)
			}))
			t.Cleanup(srv.Close)
			r := runner.New(runner.Config{Secret: secret, Now: func() time.Time { return fixedNow }})
			err := r.Run(context.Background(), release.Hook{HTTP: srv.URL + "/hook", Timeout: 50 * time.Millisecond}, inv)
			checkVerdict(t, err, tt.wantFailed)
			if !verified.Load() {
				t.Errorf("hook endpoint was never called")
			}
		})
	}
}

func TestHTTPHookUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r := runner.New(runner.Config{Secret: []byte("s")})
	err := r.Run(context.Background(), release.Hook{HTTP: url}, inv)
	checkVerdict(t, err, "request failed")
}

func TestRunRejectsMisconfiguration(t *testing.T) {
	tests := []struct {
		name string
		cfg  runner.Config
		hook release.Hook
		inv  hooks.Invocation
	}{
		{name: "no hook", hook: release.Hook{}, inv: inv},
		{name: "both kinds", cfg: runner.Config{Secret: []byte("s")}, hook: release.Hook{Lambda: "f", HTTP: "https://x"}, inv: inv},
		{name: "bad phase", hook: release.Hook{HTTP: "https://x"}, inv: hooks.Invocation{Phase: "duringTraffic"}},
		{name: "no secret", hook: release.Hook{HTTP: "https://hooks.example/x"}, inv: inv},
		{name: "not http", cfg: runner.Config{Secret: []byte("s")}, hook: release.Hook{HTTP: "ftp://hooks.example/x"}, inv: inv},
		{name: "no lambda client", hook: release.Hook{Lambda: "f"}, inv: inv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runner.New(tt.cfg).Run(context.Background(), tt.hook, tt.inv)
			if !errors.Is(err, release.ErrInvalid) {
				t.Errorf("Run = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRunLogsWithReleaseIDs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	var buf strings.Builder
	r := runner.New(runner.Config{Secret: []byte("s"), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	hookURL := strings.Replace(srv.URL, "http://", "http://deployer:hunter2@", 1) + "/hook"
	if err := r.Run(context.Background(), release.Hook{HTTP: hookURL}, inv); err == nil {
		t.Fatalf("Run = nil, want failure")
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &rec); err != nil {
		t.Fatalf("log %q is not one JSON record: %v", buf.String(), err)
	}
	for k, want := range map[string]string{"msg": "hook failed", "release": "rel-42", "pipeline": "orders-api", "phase": "preTraffic", "reason": "HTTP 502: down"} {
		if rec[k] != want {
			t.Errorf("log %s = %v, want %q", k, rec[k], want)
		}
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("log leaks the hook URL's password: %s", buf.String())
	}
}

// TestHTTPHookGetsTraceHeader: an HTTP hook run within a traced invocation
// receives its X-Ray trace header; one run outside a trace receives none.
func TestHTTPHookGetsTraceHeader(t *testing.T) {
	const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"traced", observe.WithTraceHeader(context.Background(), trace), trace},
		{"untraced", context.Background(), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Get(hooks.HeaderTrace)
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(srv.Close)
			r := runner.New(runner.Config{Secret: []byte("s"), Now: func() time.Time { return fixedNow }})
			if err := r.Run(tt.ctx, release.Hook{HTTP: srv.URL, Timeout: time.Second}, inv); err != nil {
				t.Fatal(err)
			}
			if h := <-got; h != tt.want {
				t.Errorf("%s = %q, want %q", hooks.HeaderTrace, h, tt.want)
			}
		})
	}
}
