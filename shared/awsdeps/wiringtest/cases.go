package wiringtest

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// SettingsCase is one environment a function's settings loader is given.
type SettingsCase[S any] struct {
	Name string
	Env  map[string]string
	// WantErr lists what the error must contain; none: the load succeeds.
	WantErr []string
	// Check, when set, checks the settings of a load that succeeded.
	Check func(t *testing.T, s S)
}

// Settings runs load (a function's loadSettings) on each case's
// environment.
func Settings[S any](t *testing.T, load func(getenv func(string) string) (S, error), cases []SettingsCase[S]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			s, err := load(func(k string) string { return tc.Env[k] })
			if len(tc.WantErr) == 0 {
				if err != nil {
					t.Fatalf("loadSettings: %v", err)
				}
				if tc.Check != nil {
					tc.Check(t, s)
				}
				return
			}
			for _, w := range tc.WantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got error %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

// Offline points the AWS SDK's default configuration at static
// credentials in us-east-1, with no shared config, profile or instance
// metadata, so a function can be built without reaching AWS.
func Offline(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDWIRINGTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wiringtest")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Builds builds the handler offline from vars, as Lambda would, without
// calling AWS, and returns it; an error fails t.
func Builds[H any](t *testing.T, newHandler NewHandler[H], vars map[string]string) H {
	t.Helper()
	Offline(t)
	return Build(t, &Env{Vars: vars, Logs: &Buffer{}}, newHandler)
}

// Task starts the test of a task function called name: it checks that
// newHandler refuses an empty environment naming TABLE_NAME, builds the
// handler on a fresh table with endpoints (see New) and, when the test
// ends, checks that the handler logged as name.
func Task[H any](t *testing.T, name string, newHandler NewHandler[H], endpoints map[string]string) (*Env, H) {
	t.Helper()
	RequiresEnv(t, newHandler, "TABLE_NAME")
	e := New(t, endpoints)
	return e, Built(t, e, name, newHandler)
}

// Built builds the handler from e's environment as Build does and, when
// the test ends, checks that it logged as function name.
func Built[H any](t *testing.T, e *Env, name string, newHandler NewHandler[H]) H {
	t.Helper()
	h := Build(t, e, newHandler)
	t.Cleanup(func() { e.CheckLogged(t, name) })
	return h
}

// TaskSample decodes events/name into T as Sample does and stores the
// release its releaseId and pipeline name, IN_PROGRESS (see Release).
func TaskSample[T any](t *testing.T, e *Env, name string) T {
	t.Helper()
	e.releaseOf(t, name)
	return Sample[T](t, name)
}

// TaskPayload returns events/name as Payload does and stores the release
// its releaseId and pipeline name, IN_PROGRESS (see Release).
func (e *Env) TaskPayload(t *testing.T, name string) json.RawMessage {
	t.Helper()
	return e.releaseOf(t, name)
}

func (e *Env) releaseOf(t *testing.T, name string) json.RawMessage {
	t.Helper()
	raw := Payload(t, name)
	var in struct {
		ReleaseID string `json:"releaseId"`
		Pipeline  string `json:"pipeline"`
	}
	if err := json.Unmarshal(raw, &in); err != nil || in.ReleaseID == "" {
		t.Fatalf("events/%s: %v; want a task input with a releaseId", name, err)
	}
	e.Release(t, in.ReleaseID, in.Pipeline)
	return raw
}
