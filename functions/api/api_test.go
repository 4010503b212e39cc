package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dashboard"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/store"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
stages:
  - name: prod
    targets: [{ type: lambdaAlias, function: orders, alias: live }]
    deployment: AllAtOnce
`

const alice = "arn:aws:sts::123456789012:assumed-role/ReleaseManager/alice"

type fixture struct {
	api   *httpapi.Server
	specs *httpapi.SpecSaver
	syncs []string // "pipeline:schedule names" per Sync call
	sfn   *awsfake.SFN
	store *store.Store
	rel   release.Release
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	client, table := dynalitetest.Table(t)
	st := store.New(client, table, store.WithNow(func() time.Time { return now }))
	fake := awsfake.NewSFN(t)
	svc := &control.Service{Store: st, Callbacks: sfn.NewCallbacks(awssfn.NewFromConfig(awsfake.Config(fake.URL()))), Now: func() time.Time { return now }}
	r, _, err := st.CreateRelease(ctx, release.Release{Pipeline: "orders", Version: "abc", Status: release.StatusPending,
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: "k1", Time: now}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendEvent(ctx, release.Event{ReleaseID: r.ID, Type: release.EventNote, Message: "hello"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutTaskToken(ctx, release.TaskToken{Token: "tok-approve", Kind: release.TokenApproval, ReleaseID: r.ID, Pipeline: "orders",
		Stage: "prod", Approvers: []string{alice}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	fake.Wait("tok-approve")
	f := &fixture{sfn: fake, store: st, rel: r}
	f.specs = &httpapi.SpecSaver{Specs: st,
		Schedules: schedulesFunc(func(_ context.Context, pipeline string, defs []scheduler.Definition) (scheduler.SyncResult, error) {
			var names []string
			for _, d := range defs {
				names = append(names, d.Name)
			}
			f.syncs = append(f.syncs, pipeline+":"+strings.Join(names, ","))
			if pipeline == "broken" {
				return scheduler.SyncResult{}, errors.New("ThrottlingException")
			}
			return scheduler.SyncResult{Created: names}, nil
		})}
	f.api = &httpapi.Server{Store: st, Decider: svc, Promoter: svc, Rollback: httpapi.RequestRollback{Service: svc},
		Specs: f.specs, Place: "aws", Logger: observe.NewLogger(&bytes.Buffer{})}
	return f
}

// handle serves one API Gateway request as the api function does.
func (f *fixture) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handler(f.api.Handler())(ctx, req)
}

func request(method, path, query, body, actor string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, QueryStringParameters: map[string]string{}}
	req.RequestContext.HTTP.Method = method
	for _, kv := range strings.Split(query, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			req.QueryStringParameters[k] = v
		}
	}
	if actor != "" {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: actor}}
	}
	return req
}

func TestAPI(t *testing.T) {
	tests := []struct {
		name       string
		req        func(f *fixture) events.APIGatewayV2HTTPRequest
		wantStatus int
		wantBody   string // substring
		wantTask   string // fake task state afterwards
	}{
		{"list", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/releases", "pipeline=orders", "", alice)
		}, 200, `"pipeline": "orders"`, "waiting"},
		{"list every pipeline", func(f *fixture) events.APIGatewayV2HTTPRequest { return request("GET", "/v1/releases", "", "", alice) }, 200, `"releases"`, "waiting"},
		{"promote when not baking", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/promote", "", "", alice)
		}, 409, "not baking", "waiting"},
		{"promote needs a principal", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/promote", "", "", "")
		}, 403, "no verified caller", "waiting"},
		{"rollback fails the waiting task", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/rollback", "", `{"reason":"dashboards red"}`, alice)
		}, 200, `"id": "`, "failed"},
		{"push without a pusher", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/pipelines/orders/push", "", `{"version":"v2"}`, alice)
		}, 501, "not available on this stack", "waiting"},
		{"info names the caller", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/info", "", "", alice)
		}, 200, alice, "waiting"},
		{"old path is gone", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/releases/"+f.rel.ID, "", "", alice)
		}, 404, "no route", "waiting"},
		{"list bad limit", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/releases", "pipeline=orders&limit=x", "", alice)
		}, 400, "limit", "waiting"},
		{"list bad cursor", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/releases", "pipeline=orders&cursor=%%%", "", alice)
		}, 400, "cursor", "waiting"},
		{"get", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/releases/"+f.rel.ID, "", "", alice)
		}, 200, `"version": "abc"`, "waiting"},
		{"get unknown", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/releases/nope", "", "", alice)
		}, 404, "error", "waiting"},
		{"events", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/releases/"+f.rel.ID+"/events", "", "", alice)
		}, 200, `"message": "hello"`, "waiting"},
		{"events bad after", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("GET", "/v1/releases/"+f.rel.ID+"/events", "after=-1", "", alice)
		}, 400, "after", "waiting"},
		{"approve", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/approve", "", `{"stage":"prod","comment":"lgtm"}`, alice)
		}, 200, `"decision": "approved"`, "succeeded"},
		{"reject", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/reject", "", `{"comment":"no"}`, alice)
		}, 200, `"decision": "rejected"`, "failed"},
		{"not an approver", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/approve", "", "", "arn:aws:iam::123456789012:user/mallory")
		}, 403, "may not approve", "waiting"},
		{"no principal", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/approve", "", "", "")
		}, 403, "no verified caller", "waiting"},
		{"bad body", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/approve", "", `{"stage":1}`, alice)
		}, 400, "body", "waiting"},
		{"unknown field", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/approve", "", `{"approve":true}`, alice)
		}, 400, "unknown field", "waiting"},
		{"nothing waiting", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/other/approve", "", "", alice)
		}, 404, "no approval waiting", "waiting"},
		{"wrong stage", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("POST", "/v1/releases/"+f.rel.ID+"/approve", "", `{"stage":"beta"}`, alice)
		}, 404, "no approval waiting", "waiting"},
		{"save spec", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("PUT", "/v1/pipelines/orders/spec", "", ordersSpec, alice)
		}, 200, `"version": 1`, "waiting"},
		{"spec with problems", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("PUT", "/v1/pipelines/orders/spec", "", "apiVersion: shipwave/v1\npipeline: orders\n", alice)
		}, 400, "orders.yaml:", "waiting"},
		{"spec name mismatch", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("PUT", "/v1/pipelines/payments/spec", "", ordersSpec, alice)
		}, 400, "(the name in the path)", "waiting"},
		{"empty spec", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("PUT", "/v1/pipelines/orders/spec", "", "", alice)
		}, 400, "body", "waiting"},
		{"unknown route", func(f *fixture) events.APIGatewayV2HTTPRequest {
			return request("DELETE", "/v1/releases/x", "", "", alice)
		}, 404, "no route", "waiting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			resp, err := f.handle(context.Background(), tt.req(f))
			if err != nil {
				t.Fatalf("Handle returned error %v, want a response", err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantBody) {
				t.Errorf("response = %d %s, want %d containing %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			if !json.Valid([]byte(resp.Body)) || resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("response is not JSON: %v %s", resp.Headers, resp.Body)
			}
			if got, _ := f.sfn.Outcome("tok-approve"); got.State != tt.wantTask {
				t.Errorf("approval task is %s, want %s", got.State, tt.wantTask)
			}
		})
	}
}

type schedulesFunc func(context.Context, string, []scheduler.Definition) (scheduler.SyncResult, error)

func (f schedulesFunc) Sync(ctx context.Context, pipeline string, defs []scheduler.Definition) (scheduler.SyncResult, error) {
	return f(ctx, pipeline, defs)
}

func TestSaveSpecSyncsSchedules(t *testing.T) {
	scheduled := strings.Replace(ordersSpec, "stages:", "triggers:\n  - schedule: { cron: \"0 2 * * ? *\", timezone: Europe/Berlin }\nstages:", 1)
	tests := []struct {
		name       string
		pipeline   string
		src        string
		wantStatus int
		wantBody   string
		wantSyncs  []string
	}{
		{"schedule trigger", "orders", scheduled, 200, scheduler.ScheduleName("orders", 0), []string{"orders:" + scheduler.ScheduleName("orders", 0)}},
		{"no schedules still syncs (deletes old ones)", "orders", ordersSpec, 200, `"version": 1`, []string{"orders:"}},
		{"invalid spec syncs nothing", "orders", "pipeline: orders\n", 400, "orders.yaml", nil},
		{"sync failure after save", "broken", strings.Replace(scheduled, "pipeline: orders", "pipeline: broken", 1), 502, "saved as version 1", []string{"broken:" + scheduler.ScheduleName("broken", 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			resp, err := f.handle(context.Background(), request("PUT", "/v1/pipelines/"+tt.pipeline+"/spec", "", tt.src, alice))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantBody) {
				t.Errorf("response = %d %s, want %d containing %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			if strings.Join(f.syncs, ";") != strings.Join(tt.wantSyncs, ";") {
				t.Errorf("syncs = %q, want %q", f.syncs, tt.wantSyncs)
			}
		})
	}
}

func TestSaveSpecRefusesLoadTestsWithoutNetworking(t *testing.T) {
	withLoadTest := ordersSpec + "    loadTest: { tasks: 1, rps: 10, holdFor: 1m }\n"
	tests := []struct {
		name       string
		refuse     string
		src        string
		wantStatus int
		wantBody   string
	}{
		{"refused without networking", noLoadTestNetwork, withLoadTest, 400, `orders.yaml:8: stages[0].loadTest: this Shipwave stack has no load-test networking`},
		{"spec without load tests saved", noLoadTestNetwork, ordersSpec, 200, `"version": 1`},
		{"load tests saved with networking", "", withLoadTest, 200, `"version": 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.specs.RefuseLoadTests = tt.refuse
			resp, err := f.handle(context.Background(), request("PUT", "/v1/pipelines/orders/spec", "", tt.src, alice))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantBody) {
				t.Errorf("response = %d %s, want %d containing %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			_, err = f.store.GetSpec(context.Background(), "orders", 0)
			if stored := err == nil; stored != (tt.wantStatus == 200) {
				t.Errorf("spec stored = %v (GetSpec: %v), want %v", stored, err, tt.wantStatus == 200)
			}
			if tt.wantStatus != 200 && len(f.syncs) != 0 {
				t.Errorf("a refused spec synced schedules: %v", f.syncs)
			}
		})
	}
}

func TestLoadTestsEnv(t *testing.T) {
	for in, want := range map[string]string{"enabled": "", "disabled": noLoadTestNetwork} {
		if got, err := loadTests(in); err != nil || got != want {
			t.Errorf("loadTests(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := loadTests(""); err == nil || !strings.Contains(err.Error(), "LOAD_TESTS") {
		t.Errorf("loadTests(\"\") = %v, want an error naming LOAD_TESTS", err)
	}
}

func TestSampleEvent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "api-approve.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	req.RawPath = "/v1/releases/" + f.rel.ID + "/approve"
	resp, _ := f.handle(context.Background(), req)
	if resp.StatusCode != 200 {
		t.Fatalf("sample approve = %d %s, want 200", resp.StatusCode, resp.Body)
	}
	got, _ := f.sfn.Outcome("tok-approve")
	if !strings.Contains(got.Output, "dashboards look good") || !strings.Contains(got.Output, alice) {
		t.Errorf("task output = %s, want the comment and the approver", got.Output)
	}
}

func TestNewAPINeedsEnvironment(t *testing.T) {
	_, err := newAPI(context.Background(), func(string) string { return "" }, observe.NewLogger(&bytes.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("err = %v, want one naming TABLE_NAME", err)
	}
}

// FuzzHandle sends arbitrary paths, methods and bodies: the API must always
// answer with JSON and a status, never an error or a panic.
func FuzzHandle(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "api-approve.json"))
	if err != nil {
		f.Fatal(err)
	}
	var sample events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &sample); err != nil {
		f.Fatal(err)
	}
	f.Add(sample.RequestContext.HTTP.Method, sample.RawPath, sample.Body)
	f.Add("GET", "/releases", "")
	f.Add("PUT", "/pipelines/x/spec", "apiVersion: shipwave/v1")
	api := apigw.Handler((&httpapi.Server{
		Store: nopStore{},
		Specs: &httpapi.SpecSaver{Specs: nopSpecs{}},
		Decider: deciderFunc(func(context.Context, control.Decision) error {
			return release.Errorf(release.ErrNotFound, "nothing waits")
		}),
		Dashboard: dashboard.Handler(),
	}).Handler())
	f.Fuzz(func(t *testing.T, method, path, body string) {
		resp, err := api(context.Background(), request(method, path, "pipeline=p", body, alice))
		if err != nil {
			t.Fatalf("Handle returned error %v", err)
		}
		if resp.StatusCode < 200 || resp.StatusCode > 599 || (strings.HasPrefix(resp.Headers["Content-Type"], "application/json") && !json.Valid([]byte(resp.Body))) {
			t.Fatalf("response %d %q is not a JSON answer", resp.StatusCode, resp.Body)
		}
	})
}

type nopStore struct{}

func (nopStore) ListPipelines(context.Context) ([]string, error) { return []string{"p"}, nil }
func (nopStore) GetSpec(_ context.Context, p string, _ int) (release.SpecVersion, error) {
	return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "pipeline %s", p)
}
func (nopStore) GetTargetState(_ context.Context, t string) (release.TargetState, error) {
	return release.TargetState{}, release.Errorf(release.ErrNotFound, "target %s", t)
}
func (nopStore) ListReleases(context.Context, string, int, string) ([]release.Release, string, error) {
	return nil, "", nil
}
func (nopStore) GetRelease(_ context.Context, id string) (release.Release, error) {
	return release.Release{}, release.Errorf(release.ErrNotFound, "release %s", id)
}
func (nopStore) Events(context.Context, string, int64, int) ([]release.Event, error) {
	return nil, nil
}

type nopSpecs struct{}

func (nopSpecs) SaveSpec(_ context.Context, sv release.SpecVersion) (release.SpecVersion, error) {
	sv.Version = 1
	return sv, nil
}

type deciderFunc func(context.Context, control.Decision) error

func (f deciderFunc) Decide(ctx context.Context, d control.Decision) error { return f(ctx, d) }
