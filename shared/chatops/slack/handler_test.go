package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: acme/orders-api, branch: main }
triggers: [{ chat: {} }]
chat:
  deployers: [U2CERLKJA]
  approvers: [U0APPROVE]
stages:
  - name: prod
    approval: { approvers: [U0APPROVE], timeout: 1h }
    targets: [{ type: lambdaAlias, function: orders }]
`

type starter struct{}

func (starter) Start(_ context.Context, r release.Release) (string, error) {
	return "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:" + r.ID, nil
}

type callbacks struct {
	mu        sync.Mutex
	successes int
}

func (c *callbacks) SendTaskSuccess(context.Context, string, []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.successes++
	return nil
}
func (c *callbacks) SendTaskFailure(context.Context, string, string, string) error { return nil }

type world struct {
	srv       *httptest.Server
	store     *store.Store
	callbacks *callbacks
	now       time.Time
	handler   *slack.Handler
}

func newWorld(t testing.TB, ops func(*chatops.Ops) slack.Ops) *world {
	t.Helper()
	w := &world{callbacks: &callbacks{}, now: time.Now().UTC().Truncate(time.Second)}
	now := func() time.Time { return w.now }
	client, table := dynalitetest.Table(t)
	w.store = store.New(client, table, store.WithNow(now))
	p, err := spec.Parse("orders.yaml", []byte(ordersSpec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(ordersSpec), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	real := &chatops.Ops{
		Store:     w.store,
		Launcher:  &triggers.Launcher{Specs: w.store, Releases: w.store, Starter: starter{}, Now: now},
		Decider:   &control.Service{Store: w.store, Callbacks: w.callbacks, Now: now},
		Callbacks: w.callbacks, Refusals: w.store, Now: now,
	}
	var o slack.Ops = real
	if ops != nil {
		o = ops(real)
	}
	w.handler = &slack.Handler{
		Secrets: auth.Static{"slack": signingSecret}, SigningSecret: "slack",
		Replays: w.store, Ops: o, Now: now, Budget: time.Second,
	}
	w.srv = httptest.NewServer(w.handler)
	t.Cleanup(w.srv.Close)
	return w
}

// form builds a slash command body as Slack sends it.
func form(user, text, responseURL string) string {
	v := url.Values{}
	v.Set("token", "xyzz0WbapA4vBCDEFasx0q6G")
	v.Set("team_id", "T1DC2JH3J")
	v.Set("team_domain", "testteamnow")
	v.Set("channel_id", "G8PSS9T3V")
	v.Set("channel_name", "deploys")
	v.Set("user_id", user)
	v.Set("user_name", strings.ToLower(user))
	v.Set("command", "/ship")
	v.Set("text", text)
	v.Set("response_url", responseURL)
	v.Set("trigger_id", "398738663015.47445629121."+strconv.Itoa(len(text))+user)
	return v.Encode()
}

// post sends body signed at ts with secret (the real secret when "").
func (w *world) post(t testing.TB, body string, ts time.Time, secret string) (int, slack.Message, string) {
	t.Helper()
	if secret == "" {
		secret = signingSecret
	}
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL, strings.NewReader(body))
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", auth.SignSlack([]byte(secret), stamp, []byte(body)))
	return send(t, req)
}

func send(t testing.TB, req *http.Request) (int, slack.Message, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m slack.Message
	if resp.StatusCode == http.StatusOK && len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("answer %s is not a message: %v", raw, err)
		}
	}
	return resp.StatusCode, m, string(raw)
}

func (w *world) releases(t testing.TB) []release.Release {
	t.Helper()
	rels, _, err := w.store.ListReleases(context.Background(), "orders", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	return rels
}

func TestSlackDocsRequest(t *testing.T) {
	// The exact request of Slack's verification docs, at its own time.
	body, err := os.ReadFile("../../auth/testdata/slack-docs-body.txt")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, nil)
	w.now = time.Unix(1531420618, 0).Add(3 * time.Second)
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL, strings.NewReader(string(body)))
	req.Header.Set("X-Slack-Request-Timestamp", "1531420618")
	req.Header.Set("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	code, m, raw := send(t, req)
	if code != http.StatusOK || !strings.HasPrefix(m.Text, "Usage:") {
		t.Fatalf("got %d %s, want 200 with the usage (empty text)", code, raw)
	}
	// The same request again is a replay.
	req, _ = http.NewRequest(http.MethodPost, w.srv.URL, strings.NewReader(string(body)))
	req.Header.Set("X-Slack-Request-Timestamp", "1531420618")
	req.Header.Set("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	if code, _, raw := send(t, req); code != http.StatusUnauthorized {
		t.Fatalf("replay: got %d %s, want 401", code, raw)
	}
}

func TestRequestsThatChangeNothing(t *testing.T) {
	deploy := form("U2CERLKJA", "deploy orders v1.2.3", "")
	tests := []struct {
		name     string
		body     string
		age      time.Duration
		secret   string
		tamper   func(string) string
		wantCode int
		wantText string
	}{
		{name: "stale", body: deploy, age: 6 * time.Minute, wantCode: 401},
		{name: "from the future", body: deploy, age: -6 * time.Minute, wantCode: 401},
		{name: "forged", body: deploy, secret: "not-the-secret", wantCode: 401},
		{name: "tampered", body: deploy, tamper: func(s string) string { return strings.Replace(s, "v1.2.3", "v6.6.6", 1) }, wantCode: 401},
		{name: "stranger", body: form("U666", "deploy orders v1.2.3", ""), wantCode: 200, wantText: ":no_entry:"},
		{name: "stranger who took a listed user name", body: strings.Replace(form("U666", "deploy orders v1.2.3", ""), "user_name=u666", "user_name=U2CERLKJA", 1), wantCode: 200, wantText: ":no_entry:"},
		{name: "re-encoded signature (upper-case hex)", body: deploy, tamper: nil, wantCode: 401},
		{name: "approver may not deploy", body: form("U0APPROVE", "deploy orders v1.2.3", ""), wantCode: 200, wantText: "may not act as deployer"},
		{name: "unknown pipeline", body: form("U2CERLKJA", "deploy payments v1", ""), wantCode: 200, wantText: ":shrug:"},
		{name: "malformed command", body: form("U2CERLKJA", "deploy orders", ""), wantCode: 200, wantText: "needs a pipeline and a version"},
		{name: "unknown verb", body: form("U2CERLKJA", "destroy orders", ""), wantCode: 200, wantText: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, nil)
			body := tt.body
			req, _ := http.NewRequest(http.MethodPost, w.srv.URL, nil)
			stamp := strconv.FormatInt(w.now.Add(-tt.age).Unix(), 10)
			secret := tt.secret
			if secret == "" {
				secret = signingSecret
			}
			req.Header.Set("X-Slack-Request-Timestamp", stamp)
			req.Header.Set("X-Slack-Signature", auth.SignSlack([]byte(secret), stamp, []byte(body)))
			if strings.Contains(tt.name, "upper-case") {
				req.Header.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(req.Header.Get("X-Slack-Signature"), "v0=")))
			}
			if tt.tamper != nil {
				body = tt.tamper(body)
			}
			req.Body = io.NopCloser(strings.NewReader(body))
			code, m, raw := send(t, req)
			if code != tt.wantCode || !strings.Contains(m.Text, tt.wantText) {
				t.Fatalf("got %d %s, want %d with %q", code, raw, tt.wantCode, tt.wantText)
			}
			if n := len(w.releases(t)); n != 0 {
				t.Errorf("created %d releases, want none", n)
			}
		})
	}
}

// TestReplaysChangeNothing: a captured request resent in its window, with
// the signature spelled differently or not at all changed, is refused; a
// deploy without a trigger id is keyed on what was signed; and a command
// naming no release never reaches one created after it was signed.
func TestReplaysChangeNothing(t *testing.T) {
	w := newWorld(t, nil)
	body := strings.Replace(form("U2CERLKJA", "deploy orders v1.2.3", ""), "trigger_id=", "x_trigger_id=", 1)
	stamp := strconv.FormatInt(w.now.Unix(), 10)
	sig := auth.SignSlack([]byte(signingSecret), stamp, []byte(body))
	sendWith := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL, strings.NewReader(body))
		req.Header.Set("X-Slack-Request-Timestamp", stamp)
		req.Header.Set("X-Slack-Signature", sig)
		code, _, _ := send(t, req)
		return code
	}
	if code := sendWith(sig); code != http.StatusOK {
		t.Fatalf("first delivery: got %d", code)
	}
	rels := w.releases(t)
	if len(rels) != 1 || !strings.HasPrefix(rels[0].Trigger.Key, "chat:slack:signed-") {
		t.Fatalf("got %+v, want one release keyed on the signed content", rels)
	}
	for _, s := range []string{sig, "v0=" + strings.ToUpper(strings.TrimPrefix(sig, "v0=")), "v0=" + strings.ToUpper(strings.TrimPrefix(sig, "v0="))[:10] + strings.TrimPrefix(sig, "v0=")[10:]} {
		if code := sendWith(s); code != http.StatusUnauthorized {
			t.Errorf("replay with %s: got %d, want 401", s[:16], code)
		}
	}
	if n := len(w.releases(t)); n != 1 {
		t.Fatalf("replays made %d releases, want 1", n)
	}

	// "/ship approve orders" signed before the release existed.
	rel := rels[0]
	if _, err := w.store.TransitionRelease(context.Background(), rel.ID, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutTaskToken(context.Background(), release.TaskToken{Token: "tok", Kind: release.TokenApproval, ReleaseID: rel.ID, Pipeline: "orders",
		Stage: "prod", Approvers: []string{"U0APPROVE"}, CreatedAt: w.now, ExpiresAt: w.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, m, _ := w.post(t, form("U0APPROVE", "approve orders", ""), w.now.Add(-2*time.Minute), "")
	if !strings.Contains(m.Text, "started after this request") || w.callbacks.successes != 0 {
		t.Fatalf("approval signed before the release: got %q and %d approvals, want a refusal and none", m.Text, w.callbacks.successes)
	}
	_, m, _ = w.post(t, form("U0APPROVE", "approve orders", ""), w.now, "")
	if !strings.Contains(m.Text, "approved release") || w.callbacks.successes != 1 {
		t.Fatalf("fresh approval: got %q", m.Text)
	}
}

func TestDeployStatusHistoryApprove(t *testing.T) {
	w := newWorld(t, nil)
	code, m, raw := w.post(t, form("U2CERLKJA", "deploy orders v1.2.3", ""), w.now, "")
	if code != 200 || m.ResponseType != "in_channel" || len(m.Blocks) == 0 {
		t.Fatalf("deploy: got %d %s", code, raw)
	}
	rels := w.releases(t)
	if len(rels) != 1 || rels[0].Version != "v1.2.3" || rels[0].Trigger.Kind != release.TriggerChat || rels[0].Trigger.Actor != "U2CERLKJA" {
		t.Fatalf("got releases %+v, want one chat release of v1.2.3 by U2CERLKJA", rels)
	}
	rel := rels[0]
	if _, err := w.store.TransitionRelease(context.Background(), rel.ID, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutTaskToken(context.Background(), release.TaskToken{Token: "tok", Kind: release.TokenApproval, ReleaseID: rel.ID, Pipeline: "orders",
		Stage: "prod", Approvers: []string{"U0APPROVE"}, CreatedAt: w.now, ExpiresAt: w.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, m, raw = w.post(t, form("U2CERLKJA", "status orders", ""), w.now, "")
	if !strings.Contains(raw, "waiting for approval of prod") || !strings.Contains(raw, rel.ID) {
		t.Fatalf("status: got %s", raw)
	}
	_, _, raw = w.post(t, form("U2CERLKJA", "history orders 3", ""), w.now, "")
	if !strings.Contains(raw, "Releases of orders") || !strings.Contains(raw, "v1.2.3") {
		t.Fatalf("history: got %s", raw)
	}
	// The deployer is not an approver: refused, recorded.
	_, m, _ = w.post(t, form("U2CERLKJA", "approve orders "+rel.ID, ""), w.now, "")
	if !strings.Contains(m.Text, ":no_entry:") {
		t.Fatalf("deployer approving: got %q", m.Text)
	}
	_, m, _ = w.post(t, form("U0APPROVE", "approve orders "+rel.ID+" looks good", ""), w.now, "")
	if m.ResponseType != "in_channel" || !strings.Contains(m.Text, "approved release `"+rel.ID+"`") || !strings.Contains(m.Text, "looks good") {
		t.Fatalf("approve: got %+v", m)
	}
	if w.callbacks.successes != 1 {
		t.Errorf("got %d task successes, want 1", w.callbacks.successes)
	}
	evs, _ := w.store.Events(context.Background(), rel.ID, 0, 0)
	var types []string
	for _, e := range evs {
		types = append(types, string(e.Type))
	}
	if got := strings.Join(types, ","); got != "ReleaseCreated,Note,Approved" {
		t.Errorf("got log %s, want ReleaseCreated,Note (the refusal),Approved", got)
	}
}

// slowOps makes deploy outlast the budget: Deploy waits until the test
// closes proceed, and closes done when it returns.
type slowOps struct {
	slack.Ops
	proceed <-chan struct{}
	done    chan<- struct{}
}

func (s slowOps) Deploy(ctx context.Context, a chatops.Actor, p, v, id string) (release.Release, error) {
	defer close(s.done)
	select {
	case <-s.proceed:
	case <-ctx.Done():
		return release.Release{}, ctx.Err()
	}
	return s.Ops.Deploy(ctx, a, p, v, id)
}

// newSlowOps returns a slowOps factory for newWorld, the channel that lets
// its Deploy go on, and the one closed once Deploy returned.
func newSlowOps() (func(o *chatops.Ops) slack.Ops, chan struct{}, chan struct{}) {
	proceed, done := make(chan struct{}), make(chan struct{})
	return func(o *chatops.Ops) slack.Ops { return slowOps{Ops: o, proceed: proceed, done: done} }, proceed, done
}

func TestSlowCommandFollowsUpOnResponseURL(t *testing.T) {
	got := make(chan slack.Message, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m slack.Message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("follow-up is not a message: %v", err)
		}
		got <- m
	}))
	t.Cleanup(hook.Close)
	ops, proceed, _ := newSlowOps()
	w := newWorld(t, ops)
	w.handler.Budget = 50 * time.Millisecond
	w.handler.ResponseHosts = []string{hook.URL}
	// Deploy is still blocked when the answer comes: the handler answered
	// within its budget, not after the command.
	_, m, _ := w.post(t, form("U2CERLKJA", "deploy orders v2", hook.URL+"/commands/T1/123/abc"), w.now, "")
	close(proceed)
	if !strings.Contains(m.Text, "Working on `deploy orders`") {
		t.Fatalf("got %q, want the working-on answer", m.Text)
	}
	select {
	case f := <-got:
		if f.ResponseType != "in_channel" || !f.ReplaceOriginal || !strings.Contains(f.Text, "started release") {
			t.Fatalf("got follow-up %+v", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no follow-up on response_url")
	}
}

func TestFollowUpOnlyToSlack(t *testing.T) {
	posted := make(chan struct{}, 1)
	evil := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { posted <- struct{}{} }))
	t.Cleanup(evil.Close)
	ops, proceed, done := newSlowOps()
	w := newWorld(t, ops)
	w.handler.Budget = 20 * time.Millisecond
	_, m, _ := w.post(t, form("U2CERLKJA", "deploy orders v2", evil.URL+"/steal"), w.now, "")
	close(proceed)
	if !strings.Contains(m.Text, "cannot follow up") {
		t.Fatalf("got %q", m.Text)
	}
	<-done // the command finished: a follow-up, if any, would go now
	select {
	case <-posted:
		t.Fatal("posted a follow-up to a host that is not Slack")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestMethodAndMissingSecret(t *testing.T) {
	w := newWorld(t, nil)
	resp, err := http.Get(w.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: got %d, want 405", resp.StatusCode)
	}
	w.handler.Secrets = auth.Static{}
	if code, _, _ := w.post(t, form("U2CERLKJA", "status orders", ""), w.now, ""); code != http.StatusInternalServerError {
		t.Errorf("missing secret: got %d, want 500", code)
	}
}

func TestErrorKindsRender(t *testing.T) {
	w := newWorld(t, func(*chatops.Ops) slack.Ops { return failingOps{} })
	_, m, _ := w.post(t, form("U2CERLKJA", "rollback orders", ""), w.now, "")
	if !strings.Contains(m.Text, "between bakes") || m.ResponseType != "ephemeral" {
		t.Fatalf("got %+v", m)
	}
}

type failingOps struct{ slack.Ops }

func (failingOps) Rollback(context.Context, chatops.Actor, string, string, string) (release.Release, error) {
	return release.Release{}, fmt.Errorf("roll back: %w", release.Errorf(release.ErrConflict, "release is between bakes"))
}
