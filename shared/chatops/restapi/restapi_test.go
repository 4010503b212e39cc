package restapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/chatops/restapi"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
	"github.com/shipwave/shipwave/shared/webhook/httpapi"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const (
	alice = "arn:aws:iam::123456789012:user/alice"
	bob   = "arn:aws:iam::123456789012:user/bob"
)

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
chat:
  deployers: ["arn:aws:iam::123456789012:user/alice"]
  approvers: ["arn:aws:iam::123456789012:user/bob"]
stages:
  - name: prod
    approval: { approvers: ["arn:aws:iam::123456789012:user/bob"], timeout: 1h }
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

// api serves the handler as the Lambda behind an IAM-authorized HTTP API.
type api struct {
	t     *testing.T
	h     func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
	store *store.Store
	cb    *callbacks
}

func newAPI(t *testing.T) *api {
	t.Helper()
	client, table := dynalitetest.Table(t)
	st := store.New(client, table)
	p, err := spec.Parse("orders.yaml", []byte(ordersSpec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(ordersSpec), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	cb := &callbacks{}
	ops := &chatops.Ops{Store: st, Launcher: &triggers.Launcher{Specs: st, Releases: st, Starter: starter{}},
		Decider: &control.Service{Store: st, Callbacks: cb}, Callbacks: cb}
	h := &restapi.Handler{Ops: ops, Caller: restapi.CallerFromHeader(httpapi.HeaderCaller)}
	return &api{t: t, h: httpapi.Handler(h), store: st, cb: cb}
}

// call sends method path body as caller ("" for an unauthenticated
// request that forges the caller header).
func (a *api) call(caller, method, path, body string) (int, map[string]any) {
	a.t.Helper()
	in := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, Headers: map[string]string{"content-type": "application/json"}}
	in.RequestContext.HTTP.Method = method
	if caller != "" {
		in.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: caller}}
	} else {
		in.Headers["x-shipwave-caller"] = alice
	}
	out, err := a.h(context.Background(), in)
	if err != nil {
		a.t.Fatal(err)
	}
	var v map[string]any
	json.Unmarshal([]byte(out.Body), &v)
	return out.StatusCode, v
}

func TestEndpoints(t *testing.T) {
	a := newAPI(t)
	steps := []struct {
		name, caller, method, path, body string
		want                             int
		wantText                         string
	}{
		{name: "forged caller header", method: "POST", path: "/pipelines/orders/deploy", body: `{"version":"v2","requestId":"r1"}`, want: 401},
		{name: "approver may not deploy", caller: bob, method: "POST", path: "/pipelines/orders/deploy", body: `{"version":"v2","requestId":"r1"}`, want: 403, wantText: "may not act as deployer"},
		{name: "unknown field", caller: alice, method: "POST", path: "/pipelines/orders/deploy", body: `{"version":"v2","stage":"prod"}`, want: 400, wantText: "unknown field"},
		{name: "no version", caller: alice, method: "POST", path: "/pipelines/orders/deploy", body: `{"requestId":"r1"}`, want: 400, wantText: "version"},
		{name: "deploy", caller: alice, method: "POST", path: "/pipelines/orders/deploy", body: `{"version":"v2","requestId":"r1"}`, want: 202, wantText: `"version":"v2"`},
		{name: "deploy retried", caller: alice, method: "POST", path: "/pipelines/orders/deploy", body: `{"version":"v2","requestId":"r1"}`, want: 202},
		{name: "unknown pipeline", caller: alice, method: "GET", path: "/pipelines/payments/status", want: 404},
		{name: "status", caller: bob, method: "GET", path: "/pipelines/orders/status", want: 200, wantText: `"status":"PENDING"`},
		{name: "history", caller: bob, method: "GET", path: "/pipelines/orders/releases?limit=5", want: 200, wantText: `"version":"v2"`},
		{name: "bad limit", caller: bob, method: "GET", path: "/pipelines/orders/releases?limit=0", want: 400},
		{name: "nothing to approve", caller: bob, method: "POST", path: "/pipelines/orders/approve", want: 404},
		{name: "unknown action", caller: bob, method: "POST", path: "/pipelines/orders/destroy", want: 404},
	}
	for _, s := range steps {
		code, v := a.call(s.caller, s.method, s.path, s.body)
		raw, _ := json.Marshal(v)
		if code != s.want || !strings.Contains(string(raw), s.wantText) {
			t.Fatalf("%s: got %d %s, want %d with %q", s.name, code, raw, s.want, s.wantText)
		}
	}
	rels, _, _ := a.store.ListReleases(context.Background(), "orders", 10, "")
	if len(rels) != 1 || rels[0].Trigger.Actor != alice || rels[0].Trigger.Key != "manual:api:r1" {
		t.Fatalf("got releases %+v, want one by alice keyed manual:api:r1", rels)
	}
	rel := rels[0]
	if _, err := a.store.TransitionRelease(context.Background(), rel.ID, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutTaskToken(context.Background(), release.TaskToken{Token: "tok", Kind: release.TokenApproval, ReleaseID: rel.ID, Pipeline: "orders",
		Stage: "prod", Approvers: []string{bob}, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if code, _ := a.call(alice, "POST", "/pipelines/orders/approve", `{}`); code != 403 {
		t.Fatalf("deployer approving: got %d, want 403", code)
	}
	if code, v := a.call(bob, "POST", "/pipelines/orders/approve", `{"comment":"ok"}`); code != 200 {
		t.Fatalf("approve: got %d %v", code, v)
	}
	if a.cb.successes != 1 {
		t.Errorf("got %d task successes, want 1", a.cb.successes)
	}
	evs, _ := a.store.Events(context.Background(), rel.ID, 0, 0)
	if last := evs[len(evs)-1]; last.Type != release.EventApproved || !strings.Contains(last.Message, bob) || !strings.Contains(last.Message, "(via api)") {
		t.Errorf("got last event %+v, want Approved by bob via api", last)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"version":"v1","requestId":"r"}`, `{"releaseId":"01JDX4Q7W3M8Z9Y2K5N6P1R0ST","comment":"ok"}`, `{"x":1}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := restapi.DecodeRequest(b); err != nil && !errors.Is(err, release.ErrInvalid) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})
}
