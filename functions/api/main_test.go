package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
)

const liveSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
stages:
  - name: prod
    targets: [{ name: orders-live, type: lambdaAlias, function: orders, alias: live }]
    deployment: AllAtOnce
`

func TestNewAPIRequiresEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newAPI, "TABLE_NAME", "STATE_MACHINE_ARN", "SCHEDULE_GROUP", "LOAD_TESTS")
}

// wired is the api function built from its environment, on dynalite, with
// Step Functions and Lambda faked.
type wired struct {
	env     *wiringtest.Env
	sfn     *awsfake.SFN
	lambda  *awsfake.Lambda
	machine string
	handle  func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
}

func newWired(t *testing.T) *wired {
	t.Helper()
	w := &wired{sfn: awsfake.NewSFN(t), lambda: awsfake.NewLambda(t)}
	w.machine = w.sfn.AddStateMachine("shipwave-release")
	w.env = wiringtest.New(t, map[string]string{"SFN": w.sfn.URL(), "LAMBDA": w.lambda.URL()})
	for k, v := range map[string]string{"STATE_MACHINE_ARN": w.machine, "SCHEDULE_GROUP": "shipwave",
		"SCHEDULE_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:schedule", "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
		"LOAD_TESTS": "enabled"} {
		w.env.Vars[k] = v
	}
	p, err := spec.Parse("orders.yaml", []byte(liveSpec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.Store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(liveSpec), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	w.handle = apigw.Handler(wiringtest.Build(t, w.env, newAPI).Handler())
	return w
}

func (w *wired) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := w.handle(context.Background(), request(method, path, "", body, alice))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("%s %s answered %d %q, not JSON", method, path, resp.StatusCode, resp.Body)
	}
	return resp.StatusCode, out
}

// TestWiredPushAndRetry: a push through the wired API creates a manual
// release whose actor is the IAM caller and starts its execution on the
// state machine STATE_MACHINE_ARN names; the same key again starts
// nothing; retry waits until the release has ended, then starts a new one.
func TestWiredPushAndRetry(t *testing.T) {
	w := newWired(t)
	ctx := context.Background()
	code, out := w.call(t, "POST", "/v1/pipelines/orders/push", `{"version":"v2","key":"build-42"}`)
	if code != 200 || out["created"] != true {
		t.Fatalf("push = %d %v, want 200 and a created release", code, out)
	}
	id, _ := out["releaseId"].(string)
	rel, err := w.env.Store.GetRelease(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Trigger.Kind != release.TriggerManual || rel.Trigger.Actor != alice || rel.Version != "v2" ||
		!strings.HasPrefix(rel.Execution, strings.Replace(w.machine, ":stateMachine:", ":execution:", 1)) {
		t.Errorf("pushed release = %+v, want a manual release of v2 by %s started on %s", rel, alice, w.machine)
	}
	if code, out := w.call(t, "POST", "/v1/pipelines/orders/push", `{"version":"v2","key":"build-42"}`); code != 200 || out["created"] != false || out["releaseId"] != id {
		t.Errorf("same push again = %d %v, want release %s found, not created", code, out, id)
	}
	if code, out := w.call(t, "POST", "/v1/pipelines/orders/push", `{"version":"v3","fault":"error-rate=0.5"}`); code != 400 {
		t.Errorf("push with a fault = %d %v, want 400", code, out)
	}
	if code, _ := w.call(t, "POST", "/v1/releases/"+id+"/retry", ""); code != 409 {
		t.Errorf("retry of a running release = %d, want 409", code)
	}
	if _, err := w.env.Store.TransitionRelease(ctx, id, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.Store.TransitionRelease(ctx, id, release.StatusRolledBack, "alarm"); err != nil {
		t.Fatal(err)
	}
	code, out = w.call(t, "POST", "/v1/releases/"+id+"/retry", "")
	if code != 200 || out["created"] != true || out["releaseId"] == id {
		t.Fatalf("retry = %d %v, want a new release", code, out)
	}
	again, err := w.env.Store.GetRelease(ctx, out["releaseId"].(string))
	if err != nil || again.Version != "v2" || again.Execution == "" {
		t.Errorf("retried release = %+v, %v; want v2 started", again, err)
	}
	w.env.CheckLogged(t, "api")
}

// TestWiredUndoAndRestore: undo and restore move the Lambda alias through
// the wired traffic shifters and record the IAM caller.
func TestWiredUndoAndRestore(t *testing.T) {
	w := newWired(t)
	ctx := context.Background()
	w.lambda.AddFunction("orders", "sha-1")
	v1 := w.lambda.Publish("orders", "v1")
	w.lambda.UpdateCode("orders", "sha-2")
	v2 := w.lambda.Publish("orders", "v2")
	w.lambda.CreateAlias("orders", "live", v2)
	now := time.Now().UTC()
	// A release promoted v2 over v1 on orders-live and succeeded.
	promoted, _, err := w.env.Store.CreateRelease(ctx, release.Release{Pipeline: "orders", Version: v2, Status: release.StatusPending,
		Trigger: release.Trigger{Kind: release.TriggerManual, Key: "promoted", Time: now}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []release.Event{
		{Type: release.EventTargetPrepared, Target: "orders-live", Data: json.RawMessage(`{"knownGood":"` + v1 + `","candidate":"` + v2 + `"}`)},
		{Type: release.EventTargetPromoted, Target: "orders-live"},
		{Type: release.EventTargetSettled, Target: "orders-live"},
	} {
		ev.ReleaseID, ev.Stage, ev.Wave = promoted.ID, "prod", "prod"
		if _, err := w.env.Store.AppendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, to := range []release.Status{release.StatusInProgress, release.StatusSucceeded} {
		if _, err := w.env.Store.TransitionRelease(ctx, promoted.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.env.Store.SwapTargetState(ctx, release.TargetState{}, release.TargetState{Target: "orders-live", KnownGood: v2, Good: []string{v2, v1}, Stable: v2,
		Phase: release.PhaseStable, ReleaseID: promoted.ID, Previous: v1, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}

	code, out := w.call(t, "POST", "/v1/releases/"+promoted.ID+"/undo", `{"reason":"v2 is slow"}`)
	if code != 200 || out["status"] != string(release.StatusSucceeded) {
		t.Fatalf("undo = %d %v, want a SUCCEEDED restore release", code, out)
	}
	if a, ok := w.lambda.Alias("orders", "live"); !ok || a.Version != v1 || len(a.Weights) != 0 {
		t.Errorf("alias after undo = %+v, want all traffic on %s", a, v1)
	}
	undo, err := w.env.Store.GetRelease(ctx, out["id"].(string))
	if err != nil || undo.Trigger.Kind != release.TriggerRestore || undo.Trigger.Actor != alice {
		t.Errorf("undo release = %+v, %v; want a restore by %s", undo, err, alice)
	}

	code, out = w.call(t, "POST", "/v1/pipelines/orders/restore", `{"version":"`+v2+`","reason":"v2 was fine","key":"r1"}`)
	if code != 200 || out["status"] != string(release.StatusSucceeded) {
		t.Fatalf("restore = %d %v, want a SUCCEEDED restore release", code, out)
	}
	if a, _ := w.lambda.Alias("orders", "live"); a.Version != v2 {
		t.Errorf("alias after restore = %+v, want %s", a, v2)
	}
}
