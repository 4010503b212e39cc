package alexa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/alexa"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/authtest"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const skillID = "amzn1.ask.skill.0b7e3c2a-7a3c-4d1f-9d6e-5a1b2c3d4e5f"

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: acme/orders-api, branch: main }
triggers: [{ voice: {} }]
chat:
  deployers: [amzn1.ask.person.AHEXAMPLEPERSON]
  approvers: [amzn1.ask.person.AHEXAMPLEPERSON]
stages:
  - name: prod
    approval: { approvers: [amzn1.ask.person.AHEXAMPLEPERSON], timeout: 1h }
    targets: [{ type: lambdaAlias, function: orders }]
`

type starter struct{}

func (starter) Start(_ context.Context, r release.Release) (string, error) {
	return "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:" + r.ID, nil
}

type callbacks struct {
	mu        sync.Mutex
	successes int
	failures  []string
}

func (c *callbacks) SendTaskSuccess(context.Context, string, []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.successes++
	return nil
}

func (c *callbacks) SendTaskFailure(_ context.Context, token, name, _ string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = append(c.failures, token+"/"+name)
	return nil
}

type world struct {
	ca        *authtest.AlexaCA
	srv       *httptest.Server
	store     *store.Store
	callbacks *callbacks
	now       time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{ca: authtest.NewAlexaCA(t, authtest.ChainOptions{}), callbacks: &callbacks{}, now: time.Now().UTC().Truncate(time.Second)}
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
	ops := &chatops.Ops{
		Store:     w.store,
		Launcher:  &triggers.Launcher{Specs: w.store, Releases: w.store, Starter: starter{}, Now: now},
		Decider:   &control.Service{Store: w.store, Callbacks: w.callbacks, Now: now},
		Callbacks: w.callbacks, Now: now,
	}
	h := &alexa.Handler{
		Verifier: &auth.AlexaVerifier{ApplicationIDs: []string{skillID}, Roots: w.ca.Roots, Fetcher: w.ca.Fetcher(), Now: now},
		Replays:  w.store, Ops: ops,
	}
	w.srv = httptest.NewServer(h)
	t.Cleanup(w.srv.Close)
	return w
}

// body reads an events/ sample and stamps it with a timestamp and a
// request id, as Alexa would send it now.
func body(t testing.TB, sample string, ts time.Time, requestID string, edit func(map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + sample)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	req := v["request"].(map[string]any)
	req["timestamp"] = ts.UTC().Format(time.RFC3339)
	if requestID != "" {
		req["requestId"] = requestID
	}
	if edit != nil {
		edit(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (w *world) send(t testing.TB, b []byte, h http.Header) (int, alexa.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL, bytes.NewReader(b))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out alexa.Response
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("answer %s: %v", raw, err)
		}
	}
	return resp.StatusCode, out
}

// signed sends b signed by the skill's test CA.
func (w *world) signed(t testing.TB, b []byte) (int, alexa.Response) {
	t.Helper()
	return w.send(t, b, w.ca.Headers(t, b))
}

func text(r alexa.Response) string {
	if r.Response.OutputSpeech == nil {
		return ""
	}
	return r.Response.OutputSpeech.Text
}

func (w *world) releases(t testing.TB) []release.Release {
	t.Helper()
	rels, _, err := w.store.ListReleases(context.Background(), "orders", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	return rels
}

// TestVoiceDeployNeedsAVoiceTrigger: a pipeline whose spec lists no voice
// trigger is not released by voice, and the speaker hears why.
func TestVoiceDeployNeedsAVoiceTrigger(t *testing.T) {
	w := newWorld(t)
	src := strings.Replace(ordersSpec, "triggers: [{ voice: {} }]\n", "triggers: [{ chat: {} }]\n", 1)
	p, err := spec.Parse("orders.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(src), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	_, res := w.signed(t, body(t, "alexa-deploy-confirmed.json", w.now, "req-v", nil))
	if !strings.Contains(text(res), "can't be started by voice") || len(w.releases(t)) != 0 {
		t.Fatalf("got %q and %d releases, want a refusal saying why and none", text(res), len(w.releases(t)))
	}
}

func TestDeployAsksToConfirmFirst(t *testing.T) {
	w := newWorld(t)
	code, res := w.signed(t, body(t, "alexa-deploy.json", w.now, "req-1", nil))
	if code != 200 || len(res.Response.Directives) != 1 || res.Response.Directives[0].Type != "Dialog.ConfirmIntent" ||
		!strings.Contains(text(res), "deploy version 1.4.0 of orders") {
		t.Fatalf("got %d %+v, want a confirmation question", code, res)
	}
	if n := len(w.releases(t)); n != 0 {
		t.Fatalf("an unconfirmed deploy created %d releases", n)
	}
	_, res = w.signed(t, body(t, "alexa-deploy-confirmed.json", w.now, "req-2", func(v map[string]any) {
		v["request"].(map[string]any)["intent"].(map[string]any)["confirmationStatus"] = "DENIED"
	}))
	if !strings.Contains(text(res), "won't") || len(w.releases(t)) != 0 {
		t.Fatalf("denied: got %q", text(res))
	}
	_, res = w.signed(t, body(t, "alexa-deploy-confirmed.json", w.now, "req-3", nil))
	rels := w.releases(t)
	if len(rels) != 1 || rels[0].Version != "1.4.0" || rels[0].Trigger.Kind != release.TriggerVoice || rels[0].Trigger.Actor != "amzn1.ask.person.AHEXAMPLEPERSON" {
		t.Fatalf("confirmed: got %q and releases %+v", text(res), rels)
	}
	if !strings.Contains(text(res), "Started release "+rels[0].ID) || res.Response.Card == nil || *res.Response.ShouldEndSession != true {
		t.Errorf("got %+v, want speech naming the release, a card and the session ended", res.Response)
	}
}

func TestVerificationFailuresChangeNothing(t *testing.T) {
	w := newWorld(t)
	forger := authtest.NewKey(t)
	confirmed := func(id string, ts time.Time) []byte { return body(t, "alexa-deploy-confirmed.json", ts, id, nil) }
	tests := []struct {
		name    string
		body    []byte
		headers func([]byte) http.Header
	}{
		{name: "unsigned", body: confirmed("u1", w.now), headers: func([]byte) http.Header { return http.Header{} }},
		{name: "forged signature", body: confirmed("u2", w.now), headers: func(b []byte) http.Header {
			h := w.ca.Headers(t, b)
			h.Set(auth.HeaderAlexaSignature256, authtest.Sign256(t, forger, b))
			return h
		}},
		{name: "tampered after signing", body: confirmed("u3", w.now), headers: func(b []byte) http.Header {
			return w.ca.Headers(t, bytes.Replace(b, []byte("1.4.0"), []byte("6.6.6"), 1))
		}},
		{name: "stale", body: confirmed("u4", w.now.Add(-3*time.Minute)), headers: func(b []byte) http.Header { return w.ca.Headers(t, b) }},
		{name: "other skill", body: body(t, "alexa-deploy-confirmed.json", w.now, "u5", func(v map[string]any) {
			v["context"].(map[string]any)["System"].(map[string]any)["application"] = map[string]any{"applicationId": "amzn1.ask.skill.other"}
		}), headers: func(b []byte) http.Header { return w.ca.Headers(t, b) }},
		{name: "cert url off amazon", body: confirmed("u6", w.now), headers: func(b []byte) http.Header {
			h := w.ca.Headers(t, b)
			h.Set(auth.HeaderAlexaCertURL, "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem")
			return h
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := w.send(t, tt.body, tt.headers(tt.body)); code != http.StatusBadRequest {
				t.Fatalf("got %d, want 400", code)
			}
		})
	}
	if n := len(w.releases(t)); n != 0 {
		t.Fatalf("refused requests created %d releases", n)
	}
}

func TestReplayedRequestIsRefused(t *testing.T) {
	w := newWorld(t)
	b := body(t, "alexa-deploy-confirmed.json", w.now, "once", nil)
	if code, _ := w.signed(t, b); code != 200 {
		t.Fatalf("first: got %d", code)
	}
	if code, _ := w.signed(t, b); code != http.StatusBadRequest {
		t.Fatalf("replay: got %d, want 400", code)
	}
	if n := len(w.releases(t)); n != 1 {
		t.Fatalf("got %d releases, want 1", n)
	}
}

func TestStrangerIsRefusedPolitely(t *testing.T) {
	w := newWorld(t)
	b := body(t, "alexa-deploy-confirmed.json", w.now, "s1", func(v map[string]any) {
		v["context"].(map[string]any)["System"].(map[string]any)["person"] = map[string]any{"personId": "amzn1.ask.person.STRANGER"}
		v["context"].(map[string]any)["System"].(map[string]any)["user"] = map[string]any{"userId": "amzn1.ask.account.STRANGER"}
		v["session"].(map[string]any)["user"] = map[string]any{"userId": "amzn1.ask.account.STRANGER"}
	})
	code, res := w.signed(t, b)
	if code != 200 || !strings.Contains(text(res), "not allowed") {
		t.Fatalf("got %d %q, want a spoken refusal", code, text(res))
	}
	if n := len(w.releases(t)); n != 0 {
		t.Fatalf("got %d releases, want none", n)
	}
}

func TestStatusApproveRollback(t *testing.T) {
	w := newWorld(t)
	_, res := w.signed(t, body(t, "alexa-status.json", w.now, "st-0", nil))
	if !strings.Contains(text(res), "orders has no releases yet") {
		t.Fatalf("empty status: got %q", text(res))
	}
	w.signed(t, body(t, "alexa-deploy-confirmed.json", w.now, "d-1", nil))
	rel := w.releases(t)[0]
	if _, err := w.store.TransitionRelease(context.Background(), rel.ID, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	put := func(tok release.TaskToken) {
		tok.ReleaseID, tok.Pipeline, tok.CreatedAt, tok.ExpiresAt = rel.ID, "orders", w.now, w.now.Add(time.Hour)
		if err := w.store.PutTaskToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	put(release.TaskToken{Token: "approval", Kind: release.TokenApproval, Stage: "prod", Approvers: []string{"amzn1.ask.person.AHEXAMPLEPERSON"}})
	_, res = w.signed(t, body(t, "alexa-status.json", w.now, "st-1", nil))
	if want := "The latest release of orders, version 1.4.0, is in progress. It is waiting for approval of prod."; text(res) != want {
		t.Fatalf("status: got %q, want %q", text(res), want)
	}
	_, res = w.signed(t, body(t, "alexa-approve-confirmed.json", w.now, "ap-1", nil))
	if !strings.Contains(text(res), "Approved release "+rel.ID) || w.callbacks.successes != 1 {
		t.Fatalf("approve: got %q, %d successes", text(res), w.callbacks.successes)
	}
	put(release.TaskToken{Token: "bake", Kind: release.TokenBake, Stage: "prod", Target: "orders"})
	_, res = w.signed(t, body(t, "alexa-rollback-confirmed.json", w.now, "rb-1", nil))
	if !strings.Contains(text(res), "Rolling back release "+rel.ID) || !slices.Equal(w.callbacks.failures, []string{"bake/RollbackRequested"}) {
		t.Fatalf("rollback: got %q, failures %v", text(res), w.callbacks.failures)
	}
	// Asked again while it rolls back: the same answer, nothing failed twice.
	_, res = w.signed(t, body(t, "alexa-rollback-confirmed.json", w.now, "rb-2", nil))
	if !strings.Contains(text(res), "Rolling back release "+rel.ID) || len(w.callbacks.failures) != 1 {
		t.Fatalf("second rollback: got %q, failures %v", text(res), w.callbacks.failures)
	}
}

func TestLaunchHelpAndMissingSlots(t *testing.T) {
	w := newWorld(t)
	_, res := w.signed(t, body(t, "alexa-launch.json", w.now, "l-1", nil))
	if !strings.Contains(text(res), "Shipwave here") || res.Response.ShouldEndSession == nil || *res.Response.ShouldEndSession {
		t.Fatalf("launch: got %+v", res.Response)
	}
	_, res = w.signed(t, body(t, "alexa-deploy.json", w.now, "m-1", func(v map[string]any) {
		v["request"].(map[string]any)["intent"].(map[string]any)["slots"] = map[string]any{"pipeline": map[string]any{"name": "pipeline", "value": "orders"}}
	}))
	if len(res.Response.Directives) != 1 || res.Response.Directives[0].Type != "Dialog.ElicitSlot" || res.Response.Directives[0].SlotToElicit != "version" {
		t.Fatalf("missing version: got %+v", res.Response)
	}
}

// TestInteractionModelMatchesHandler keeps the model and the code in step:
// every intent in the model is handled, and every custom intent handled is
// in the model.
func TestInteractionModelMatchesHandler(t *testing.T) {
	raw, err := os.ReadFile("../../events/alexa-interaction-model.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		InteractionModel struct {
			LanguageModel struct {
				Intents []struct{ Name string } `json:"intents"`
			} `json:"languageModel"`
		} `json:"interactionModel"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var inModel []string
	for _, in := range m.InteractionModel.LanguageModel.Intents {
		inModel = append(inModel, in.Name)
		if !slices.Contains(alexa.Intents, in.Name) {
			t.Errorf("model intent %s is not handled", in.Name)
		}
	}
	for _, name := range alexa.Intents {
		if !slices.Contains(inModel, name) {
			t.Errorf("handled intent %s is not in the model", name)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	// Compact seeds: the samples, re-encoded without indentation. Large,
	// indented seeds make every new input's minimization (up to a minute
	// each, whose runs the exec counter does not show) eat the budget.
	for _, name := range []string{"alexa-launch.json", "alexa-deploy.json", "alexa-status.json", "alexa-rollback-confirmed.json"} {
		b, err := os.ReadFile("../../events/" + name)
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(`{"request":{"type":"LaunchRequest","requestId":"r"}}`))
	f.Add([]byte(`{"request":{"type":"IntentRequest","requestId":"r","intent":{"name":"StatusIntent","confirmationStatus":"NONE","slots":{"pipeline":{"name":"pipeline","value":"orders"}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := alexa.ParseRequest(b)
		if err != nil {
			return
		}
		if r.Request.Type == "" || r.Request.RequestID == "" {
			t.Fatalf("accepted a request without type or id")
		}
	})
}
