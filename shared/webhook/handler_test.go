package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
	"github.com/shipwave/shipwave/shared/webhook"
)

func TestMain(m *testing.M) { os.Exit(mototest.Around(func() int { return dynalitetest.Run(m) })) }

const (
	githubSecret = "gh-webhook-secret"
	gitlabToken  = "gl-secret-token"
)

// recorder is a Publisher that remembers what it was given.
type recorder struct {
	mu     sync.Mutex
	pushes []triggers.GitPush
	err    error
}

func (r *recorder) Publish(_ context.Context, p triggers.GitPush) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.pushes = append(r.pushes, p)
	return nil
}

func (r *recorder) got() []triggers.GitPush {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]triggers.GitPush(nil), r.pushes...)
}

// newServer serves a webhook handler on loopback with a dynalite store.
func newServer(t testing.TB, pub webhook.Publisher) (*httptest.Server, *store.Store) {
	t.Helper()
	client, table := dynalitetest.Table(t)
	st := store.New(client, table)
	h := &webhook.Handler{
		Secrets:      auth.Static{"github": githubSecret, "gitlab": gitlabToken},
		GitHubSecret: "github", GitLabSecret: "gitlab",
		Deliveries: st, Publisher: pub, MaxBody: 64 << 10,
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, st
}

func payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("read payload: %v", err)
	}
	return b
}

// githubRequest builds a delivery exactly as GitHub sends it.
func githubRequest(url, event, delivery string, body []byte, secret string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "GitHub-Hookshot/044aadd")
	r.Header.Set("X-GitHub-Event", event)
	r.Header.Set("X-GitHub-Delivery", delivery)
	r.Header.Set("X-GitHub-Hook-ID", "109948940")
	if secret != "" {
		r.Header.Set("X-Hub-Signature-256", auth.SignGitHub([]byte(secret), body))
	}
	return r
}

func gitlabRequest(url, event, uuid string, body []byte, token string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "GitLab/17.5.0")
	r.Header.Set("X-Gitlab-Event", event)
	r.Header.Set("X-Gitlab-Event-UUID", uuid)
	r.Header.Set("X-Gitlab-Instance", "https://gitlab.example.com")
	if token != "" {
		r.Header.Set("X-Gitlab-Token", token)
	}
	return r
}

func do(t testing.TB, r *http.Request) (int, webhook.Response) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	var out webhook.Response
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response %s is not JSON: %v", raw, err)
	}
	return resp.StatusCode, out
}

func TestGitHubPush(t *testing.T) {
	pub := &recorder{}
	srv, _ := newServer(t, pub)
	body := payload(t, "github-push.json")
	code, res := do(t, githubRequest(srv.URL, "push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", body, githubSecret))
	if code != http.StatusAccepted || res.Status != "published" {
		t.Fatalf("got %d %+v, want 202 published", code, res)
	}
	got := pub.got()
	if len(got) != 1 {
		t.Fatalf("got %d pushes published, want 1", len(got))
	}
	p := got[0]
	want := triggers.GitPush{
		Provider: "github", DeliveryID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Repository: "acme/orders-api",
		Ref: "refs/heads/main", Before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", After: "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
		Pusher: "octocat", HeadCommitTimestamp: time.Date(2026, 11, 22, 6, 10, 44, 0, time.UTC),
	}
	if p.Provider != want.Provider || p.DeliveryID != want.DeliveryID || p.Repository != want.Repository || p.Ref != want.Ref ||
		p.Before != want.Before || p.After != want.After || p.Pusher != want.Pusher || !p.HeadCommitTimestamp.Equal(want.HeadCommitTimestamp) {
		t.Errorf("got push %+v, want %+v", p, want)
	}
	if len(p.Commits) != 2 || p.Commits[0].Added[0] != "src/orders/refund.go" || p.Commits[1].Removed[0] != "docs/old.md" {
		t.Errorf("got commits %+v, want both commits with their files", p.Commits)
	}
}

func TestDeliveries(t *testing.T) {
	push := payload(t, "github-push.json")
	tag := payload(t, "github-tag.json")
	glPush := payload(t, "gitlab-push.json")
	glTag := payload(t, "gitlab-tag.json")
	type step struct {
		req        func(url string) *http.Request
		wantCode   int
		wantStatus string
		wantReason string // substring
		published  int    // total pushes published after the step
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "duplicate delivery is dropped", steps: []step{
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-1", push, githubSecret) }, wantCode: 202, wantStatus: "published", published: 1},
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-1", push, githubSecret) }, wantCode: 200, wantStatus: "duplicate", published: 1},
		}},
		{name: "new delivery of the same push is published (the trigger key dedups it)", steps: []step{
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-1", push, githubSecret) }, wantCode: 202, wantStatus: "published", published: 1},
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-2", push, githubSecret) }, wantCode: 202, wantStatus: "published", published: 2},
		}},
		{name: "tampered body is refused and does not burn the delivery id", steps: []step{
			{req: func(u string) *http.Request {
				r := githubRequest(u, "push", "d-1", push, githubSecret)
				r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(push, []byte("acme/orders-api"), []byte("evil/orders-api"), 1)))
				return r
			}, wantCode: 401, wantStatus: "rejected", wantReason: "does not match", published: 0},
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-1", push, githubSecret) }, wantCode: 202, wantStatus: "published", published: 1},
		}},
		{name: "wrong secret", steps: []step{
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-1", push, "guess") }, wantCode: 401, wantStatus: "rejected", published: 0},
		}},
		{name: "unsigned", steps: []step{
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-1", push, "") }, wantCode: 401, wantStatus: "rejected", wantReason: "header missing", published: 0},
		}},
		{name: "unsigned garbage is refused before parsing", steps: []step{
			{req: func(u string) *http.Request { return githubRequest(u, "push", "d-1", []byte("{not json"), "") }, wantCode: 401, wantStatus: "rejected", published: 0},
		}},
		{name: "signed malformed payload names the field", steps: []step{
			{req: func(u string) *http.Request {
				return githubRequest(u, "push", "d-1", []byte(`{"ref":"refs/heads/main","after":"HEAD","repository":{"full_name":"a/b"}}`), githubSecret)
			}, wantCode: 400, wantStatus: "rejected", wantReason: "detail.after", published: 0},
			{req: func(u string) *http.Request {
				return githubRequest(u, "push", "d-1", []byte(`{"ref": 7}`), githubSecret)
			}, wantCode: 400, wantStatus: "rejected", wantReason: "ref", published: 0},
		}},
		{name: "tag push", steps: []step{
			{req: func(u string) *http.Request { return githubRequest(u, "push", "t-1", tag, githubSecret) }, wantCode: 202, wantStatus: "published", published: 1},
		}},
		{name: "ping", steps: []step{
			{req: func(u string) *http.Request {
				return githubRequest(u, "ping", "p-1", payload(t, "github-ping.json"), githubSecret)
			}, wantCode: 200, wantStatus: "pong", published: 0},
		}},
		{name: "other github events are ignored", steps: []step{
			{req: func(u string) *http.Request {
				return githubRequest(u, "issues", "i-1", []byte(`{"action":"opened"}`), githubSecret)
			}, wantCode: 200, wantStatus: "ignored", published: 0},
		}},
		{name: "no delivery id", steps: []step{
			{req: func(u string) *http.Request { return githubRequest(u, "push", "", push, githubSecret) }, wantCode: 400, wantStatus: "rejected", wantReason: "delivery id", published: 0},
		}},
		{name: "gitlab push and tag push", steps: []step{
			{req: func(u string) *http.Request { return gitlabRequest(u, "Push Hook", "gl-1", glPush, gitlabToken) }, wantCode: 202, wantStatus: "published", published: 1},
			{req: func(u string) *http.Request { return gitlabRequest(u, "Tag Push Hook", "gl-2", glTag, gitlabToken) }, wantCode: 202, wantStatus: "published", published: 2},
			{req: func(u string) *http.Request { return gitlabRequest(u, "Push Hook", "gl-1", glPush, gitlabToken) }, wantCode: 200, wantStatus: "duplicate", published: 2},
		}},
		{name: "gitlab wrong token", steps: []step{
			{req: func(u string) *http.Request { return gitlabRequest(u, "Push Hook", "gl-1", glPush, "guess") }, wantCode: 401, wantStatus: "rejected", published: 0},
			{req: func(u string) *http.Request { return gitlabRequest(u, "Push Hook", "gl-1", glPush, "") }, wantCode: 401, wantStatus: "rejected", published: 0},
		}},
		{name: "gitlab merge request hook is ignored", steps: []step{
			{req: func(u string) *http.Request {
				return gitlabRequest(u, "Merge Request Hook", "gl-3", []byte(`{"object_kind":"merge_request"}`), gitlabToken)
			}, wantCode: 200, wantStatus: "ignored", published: 0},
		}},
		{name: "not a webhook", steps: []step{
			{req: func(u string) *http.Request {
				r, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(push))
				return r
			}, wantCode: 400, wantStatus: "rejected", published: 0},
		}},
		{name: "GET", steps: []step{
			{req: func(u string) *http.Request {
				r := githubRequest(u, "push", "d-1", push, githubSecret)
				r.Method = http.MethodGet
				return r
			}, wantCode: 405, wantStatus: "rejected", published: 0},
		}},
		{name: "oversized body", steps: []step{
			{req: func(u string) *http.Request {
				big := append([]byte(`{"pad":"`), append(bytes.Repeat([]byte("x"), 70<<10), []byte(`"}`)...)...)
				return githubRequest(u, "push", "d-1", big, githubSecret)
			}, wantCode: 413, wantStatus: "rejected", published: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recorder{}
			srv, _ := newServer(t, pub)
			for i, s := range tt.steps {
				code, res := do(t, s.req(srv.URL))
				if code != s.wantCode || res.Status != s.wantStatus {
					t.Fatalf("step %d: got %d %+v, want %d %s", i, code, res, s.wantCode, s.wantStatus)
				}
				if !strings.Contains(res.Reason, s.wantReason) {
					t.Errorf("step %d: got reason %q, want it to contain %q", i, res.Reason, s.wantReason)
				}
				if n := len(pub.got()); n != s.published {
					t.Errorf("step %d: got %d pushes published, want %d", i, n, s.published)
				}
			}
		})
	}
}

func TestPublishFailureIsAServerError(t *testing.T) {
	pub := &recorder{err: errors.New("event bus unavailable")}
	srv, _ := newServer(t, pub)
	code, res := do(t, githubRequest(srv.URL, "push", "d-9", payload(t, "github-push.json"), githubSecret))
	if code != http.StatusInternalServerError || res.Status != "rejected" {
		t.Fatalf("got %d %+v, want 500 rejected", code, res)
	}
}

func TestMissingSecretIsAServerError(t *testing.T) {
	client, table := dynalitetest.Table(t)
	h := &webhook.Handler{
		Secrets: auth.Static{}, GitHubSecret: "github", Deliveries: store.New(client, table), Publisher: &recorder{},
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	code, _ := do(t, githubRequest(srv.URL, "push", "d-1", payload(t, "github-push.json"), githubSecret))
	if code != http.StatusInternalServerError {
		t.Fatalf("got %d, want 500", code)
	}
	// GitLab is not configured at all: refused.
	code, res := do(t, gitlabRequest(srv.URL, "Push Hook", "gl-1", payload(t, "gitlab-push.json"), gitlabToken))
	if code != http.StatusUnauthorized {
		t.Fatalf("got %d %+v, want 401", code, res)
	}
}

func TestParseGitLabTruncated(t *testing.T) {
	_, truncated, err := webhook.ParseGitLabPush("u", payload(t, "gitlab-push-truncated.json"))
	if err != nil || !truncated {
		t.Fatalf("got truncated=%v err=%v, want truncated", truncated, err)
	}
	_, truncated, err = webhook.ParseGitLabPush("u", payload(t, "gitlab-push.json"))
	if err != nil || truncated {
		t.Fatalf("got truncated=%v err=%v, want complete", truncated, err)
	}
}

func TestParseErrorsAreInvalid(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "not an object", body: `[]`, want: "JSON object"},
		{name: "wrong type", body: `{"commits": {}}`, want: "commits"},
		{name: "missing repository", body: `{"ref":"refs/heads/main","after":"59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5"}`, want: "repository"},
		{name: "bad timestamp", body: `{"ref":"refs/heads/main","after":"59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5","repository":{"full_name":"a/b"},"head_commit":{"timestamp":"noon"}}`, want: "head_commit.timestamp"},
		{name: "trailing data", body: `{} {}`, want: "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.ParseGitHubPush("d", []byte(tt.body))
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInvalid naming %q", err, tt.want)
			}
		})
	}
}

// flaky fails its first n publishes.
type flaky struct {
	recorder
	fail int
}

func (f *flaky) Publish(ctx context.Context, p triggers.GitPush) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("event bus unavailable")
	}
	return f.recorder.Publish(ctx, p)
}

func TestRedeliveryAfterFailedPublish(t *testing.T) {
	pub := &flaky{fail: 1}
	srv, _ := newServer(t, pub)
	body := payload(t, "github-push.json")
	steps := []struct {
		code      int
		status    string
		published int
	}{
		{500, "rejected", 0},  // the event bus fails
		{202, "published", 1}, // GitHub's redelivery (same id) goes through
		{200, "duplicate", 1}, // and the next one is a duplicate
	}
	for i, s := range steps {
		code, res := do(t, githubRequest(srv.URL, "push", "d-42", body, githubSecret))
		if code != s.code || res.Status != s.status || len(pub.got()) != s.published {
			t.Fatalf("delivery %d: got %d %s with %d published, want %d %s with %d", i, code, res.Status, len(pub.got()), s.code, s.status, s.published)
		}
	}
}
