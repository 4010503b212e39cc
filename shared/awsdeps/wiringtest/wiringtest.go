// Package wiringtest builds a function's handler the way Lambda does —
// from environment variables, with the real aws-sdk-go-v2 clients — but
// pointed at a fresh dynalite table and at fakes, so a function's
// main_test can invoke the wired handler with a sample from events/ and
// see a broken wiring fail: a wrong table, a missing dependency, a logger
// that is not the function's. Task starts a task function's test (an
// empty environment refused, the handler built, its log checked), Settings
// runs a settings loader's table and Builds builds a function offline.
package wiringtest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/syncbuf"
)

// NewHandler is the shape of every function's newHandler.
type NewHandler[H any] func(ctx context.Context, getenv func(string) string, logger *slog.Logger) (H, error)

// RequiresEnv checks that newHandler, given an empty environment, refuses
// to build and names each of names.
func RequiresEnv[H any](t *testing.T, newHandler NewHandler[H], names ...string) {
	t.Helper()
	_, err := newHandler(context.Background(), func(string) string { return "" }, observe.NewLogger(&Buffer{}))
	for _, n := range names {
		if err == nil || !strings.Contains(err.Error(), n) {
			t.Errorf("newHandler with an empty environment = %v, want an error naming %s", err, n)
		}
	}
}

// Build builds the handler from e's environment, logging to e.Logs.
func Build[H any](t *testing.T, e *Env, newHandler NewHandler[H]) H {
	t.Helper()
	h, err := newHandler(context.Background(), e.Getenv, observe.NewLogger(e.Logs))
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	return h
}

// Release stores release id of pipeline IN_PROGRESS, as the release state
// machine leaves it before its deploys run.
func (e *Env) Release(t *testing.T, id, pipeline string) {
	t.Helper()
	if _, _, err := e.Store.CreateRelease(context.Background(), release.Release{ID: id, Pipeline: pipeline, Version: "v2",
		Status: release.StatusInProgress, Trigger: release.Trigger{Kind: release.TriggerManual, Key: "wiringtest:" + id}}); err != nil {
		t.Fatal(err)
	}
}

// CheckLogged fails t unless the handler logged at least one line as
// function name (the logger awsdeps.Load tags).
func (e *Env) CheckLogged(t *testing.T, name string) {
	t.Helper()
	if !e.Logs.Logged(t, map[string]any{"function": name}) {
		t.Errorf("no log line of function %s: %v", name, e.Logs.Lines(t))
	}
}

// Env is a function's test environment.
type Env struct {
	// Vars are the function's environment variables (TABLE_NAME is the
	// fresh table); Getenv reads them.
	Vars map[string]string
	// Store is the release store on the same table, for setting up and
	// checking what the handler did.
	Store *store.Store
	// Logs is what the handler logged.
	Logs *Buffer
}

// Getenv reads Vars.
func (e *Env) Getenv(name string) string { return e.Vars[name] }

// New creates a table on the test binary's dynalite (the test package's
// TestMain must call dynalitetest.Main) and points the AWS SDK's default
// configuration at it offline (see Offline): DynamoDB goes to dynalite,
// endpoints names other services' fakes by their AWS_ENDPOINT_URL_<SERVICE>
// suffix (for example "SFN" or "CLOUDWATCH").
func New(t *testing.T, endpoints map[string]string) *Env {
	t.Helper()
	client, table := dynalitetest.Table(t)
	Offline(t)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynalitetest.Server(t).Endpoint())
	for svc, url := range endpoints {
		t.Setenv("AWS_ENDPOINT_URL_"+svc, url)
	}
	return &Env{Vars: map[string]string{"TABLE_NAME": table}, Store: store.New(client, table), Logs: &Buffer{}}
}

// Payload returns events/name (from the repository root) as it is: the
// input of a function serving several actions (a control.Router).
func Payload(t *testing.T, name string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Sample decodes events/name (from the repository root) into a value of
// type T, refusing a field T lacks.
func Sample[T any](t *testing.T, name string) T {
	t.Helper()
	raw := Payload(t, name)
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("events/%s: %v", name, err)
	}
	return v
}

// Buffer is a concurrency-safe log sink.
type Buffer struct{ syncbuf.Buffer }

// Lines returns the JSON log lines written so far.
func (b *Buffer) Lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(strings.NewReader(b.String()))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		out = append(out, m)
	}
	return out
}

// Logged reports whether a log line has every key and value of want.
func (b *Buffer) Logged(t *testing.T, want map[string]any) bool {
	t.Helper()
	for _, l := range b.Lines(t) {
		ok := true
		for k, v := range want {
			if l[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
