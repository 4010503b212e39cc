package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
	"github.com/shipwave/shipwave/shared/webhook"
)

// starter starts nothing but names an execution per release, once.
type starter struct {
	mu      sync.Mutex
	started map[string]string
}

func (s *starter) Start(_ context.Context, r release.Release) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started == nil {
		s.started = map[string]string{}
	}
	if arn, ok := s.started[r.ID]; ok {
		return arn, nil
	}
	arn := "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:" + r.ID
	s.started[r.ID] = arn
	return arn, nil
}

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: acme/orders-api, branch: main, paths: ["src/**"] }
triggers: [{ push: {} }]
stages:
  - name: beta
    targets: [{ type: lambdaAlias, function: orders-beta }]
`

func TestWebhookToRelease(t *testing.T) {
	client, table := dynalitetest.Table(t)
	st := store.New(client, table)
	p, err := spec.Parse("orders.yaml", []byte(ordersSpec))
	if err != nil {
		t.Fatalf("parse spec: %v", err)
	}
	if _, err := st.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(ordersSpec), Parsed: p}); err != nil {
		t.Fatalf("save spec: %v", err)
	}
	trig := &triggers.Handler{Specs: st, Releases: st, Starter: &starter{}}
	h := &webhook.Handler{
		Secrets: auth.Static{"github": githubSecret}, GitHubSecret: "github",
		Deliveries: st, Publisher: webhook.Direct{Trigger: trig},
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	push := payload(t, "github-push.json")
	// Three deliveries of one push (a retry and a redelivery with a new id),
	// then a later push delivered before... an earlier one: out of order.
	later := []byte(`{"ref":"refs/heads/main","before":"59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5","after":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","repository":{"full_name":"acme/orders-api"},"pusher":{"name":"octocat"},"commits":[{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","added":[],"removed":[],"modified":["src/x.go"]}]}`)
	docsOnly := []byte(`{"ref":"refs/heads/main","before":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","after":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","repository":{"full_name":"acme/orders-api"},"commits":[{"id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","added":[],"removed":[],"modified":["docs/x.md"]}]}`)
	steps := []struct {
		delivery string
		body     []byte
		want     string
	}{
		{"later-1", later, "published"},
		{"d-1", push, "published"},
		{"d-1", push, "duplicate"},
		{"d-2", push, "published"},
		{"docs-1", docsOnly, "published"},
	}
	for _, s := range steps {
		if code, res := do(t, githubRequest(srv.URL, "push", s.delivery, s.body, githubSecret)); res.Status != s.want {
			t.Fatalf("delivery %s: got %d %+v, want %s", s.delivery, code, res, s.want)
		}
	}
	rels, _, err := st.ListReleases(context.Background(), "orders", 10, "")
	if err != nil {
		t.Fatalf("list releases: %v", err)
	}
	got := map[string]bool{}
	for _, r := range rels {
		got[r.Version] = true
		if r.Trigger.Source != "github" || r.Execution == "" {
			t.Errorf("release %s: got source %q execution %q, want github and started", r.ID, r.Trigger.Source, r.Execution)
		}
	}
	// One release per push whose files match src/**, whatever the order
	// and number of deliveries; the docs-only push releases nothing.
	if len(rels) != 2 || !got["59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5"] || !got["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
		t.Fatalf("got releases of %v, want one each of 59b20b8d… and aaaa…", got)
	}
}

// eventBridge is an EventBridge endpoint (AWS JSON 1.1) that records
// PutEvents entries and can reject them.
type eventBridge struct {
	mu      sync.Mutex
	entries []map[string]any
	reject  string
}

func (e *eventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var in struct{ Entries []map[string]any }
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" || json.Unmarshal(raw, &in) != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnknownOperationException"}`)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reject != "" {
		json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": 1, "Entries": []map[string]string{{"ErrorCode": e.reject, "ErrorMessage": "no"}}})
		return
	}
	e.entries = append(e.entries, in.Entries...)
	json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": 0, "Entries": []map[string]string{{"EventId": "11111111-2222"}}})
}

func TestEventBridgePublisher(t *testing.T) {
	eb := &eventBridge{}
	srv := httptest.NewServer(eb)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
	pub := webhook.EventBridge{Client: eventbridge.NewFromConfig(cfg), Bus: "shipwave"}
	push, err := webhook.ParseGitHubPush("d-1", payload(t, "github-push.json"))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := pub.Publish(context.Background(), push); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if len(eb.entries) != 1 {
		t.Fatalf("got %d entries, want 1", len(eb.entries))
	}
	e := eb.entries[0]
	if e["Source"] != triggers.SourceWebhook || e["DetailType"] != triggers.DetailTypeGitPush || e["EventBusName"] != "shipwave" {
		t.Errorf("got entry %v, want source %s, detail-type %s, bus shipwave", e, triggers.SourceWebhook, triggers.DetailTypeGitPush)
	}
	// The published detail is what the push trigger accepts.
	var back triggers.GitPush
	if err := json.Unmarshal([]byte(e["Detail"].(string)), &back); err != nil || back.Validate() != nil || back.After != push.After {
		t.Errorf("detail does not round-trip: %v %+v", err, back)
	}
	eb.reject = "ThrottlingException"
	if err := pub.Publish(context.Background(), push); err == nil {
		t.Errorf("got no error for a rejected entry")
	}
}

func TestDirectPublisherUsesEventTime(t *testing.T) {
	now := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	var got triggers.Result
	h := handlerFunc(func(ctx context.Context, ev eventArg) (triggers.Result, error) {
		got = triggers.Result{EventID: ev.ID}
		if !ev.Time.Equal(now) || ev.Source != triggers.SourceWebhook {
			t.Errorf("got event %s at %s, want source %s at %s", ev.ID, ev.Time, triggers.SourceWebhook, now)
		}
		return got, nil
	})
	push, _ := webhook.ParseGitHubPush("d-7", payload(t, "github-push.json"))
	if err := (webhook.Direct{Trigger: h, Now: func() time.Time { return now }}).Publish(context.Background(), push); err != nil {
		t.Fatal(err)
	}
	if got.EventID != "webhook-github-d-7" {
		t.Errorf("got event id %q, want webhook-github-d-7", got.EventID)
	}
}
