package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestEndpointSignsWithSigV4: with --endpoint and AWS settings the CLI
// signs each request for execute-api with the caller's credentials, and
// sends no local token.
func TestEndpointSignsWithSigV4(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" token="+r.Header.Get("X-Amz-Security-Token"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error":"release r1 is not baking now; nothing to promote"}`))
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "session")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("SHIPWAVE_TOKEN", "must-not-be-sent")
	code, out, stderr := cliRun(context.Background(), "release", "promote", "r1", "--endpoint", srv.URL, "--region", "eu-west-1")
	if code != 1 || !strings.Contains(out+stderr, "not baking") {
		t.Fatalf("promote: exit %d %s%s, want exit 1 with the API's error", code, out, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("requests = %q, want one", got)
	}
	for _, want := range []string{"POST /v1/releases/r1/promote AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", "/eu-west-1/execute-api/aws4_request", "token=session"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("request %q lacks %q", got[0], want)
		}
	}
	if strings.Contains(got[0], "must-not-be-sent") {
		t.Errorf("request %q carries the local token", got[0])
	}
}
