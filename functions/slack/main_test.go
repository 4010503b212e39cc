package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
)

const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

func TestLoadSettings(t *testing.T) {
	wiringtest.Settings(t, loadSettings, []wiringtest.SettingsCase[settings]{
		{Name: "complete", Env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "SLACK_SECRET_ID": "shipwave/slack"}},
		{Name: "nothing set", Env: map[string]string{}, WantErr: []string{"STATE_MACHINE_ARN", "SLACK_SECRET_ID"}},
		{Name: "bad arn", Env: map[string]string{"TABLE_NAME": "t", "STATE_MACHINE_ARN": "release", "SLACK_SECRET_ID": "s"}, WantErr: []string{"STATE_MACHINE_ARN: "}},
	})
}

// TestWiring builds the function from a complete environment, as Lambda
// would, without calling AWS.
func TestWiring(t *testing.T) {
	wiringtest.Builds(t, newHandler, map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "SLACK_SECRET_ID": "shipwave/slack"})
	wiringtest.RequiresEnv(t, newHandler, "STATE_MACHINE_ARN", "SLACK_SECRET_ID")
}

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const restoreSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
chat: { deployers: ["T1DC2JH3J:U2CERLKJA"] }
stages:
  - name: prod
    targets: [{ name: orders-live, type: lambdaAlias, function: orders, alias: live }]
    deployment: AllAtOnce
`

// restoreWorld is the orders pipeline on AWS fakes: its alias serves v2,
// known-good, with v1 an earlier known-good version.
func restoreWorld(t *testing.T) (*awsfake.Lambda, *wiringtest.Env, string) {
	t.Helper()
	ctx := context.Background()
	fn := awsfake.NewLambda(t)
	fn.AddFunction("orders", "sha-1")
	v1 := fn.Publish("orders", "v1")
	fn.UpdateCode("orders", "sha-2")
	v2 := fn.Publish("orders", "v2")
	fn.CreateAlias("orders", "live", v2)
	env := wiringtest.New(t, map[string]string{"LAMBDA": fn.URL()})
	env.Vars["STATE_MACHINE_ARN"] = arn
	env.Vars["SLACK_SECRET_ID"] = "shipwave/slack"
	p, err := spec.Parse("orders.yaml", []byte(restoreSpec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.SaveSpec(ctx, release.SpecVersion{Pipeline: "orders", Source: []byte(restoreSpec), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.SwapTargetState(ctx, release.TargetState{}, release.TargetState{Target: "orders-live", KnownGood: v2, Good: []string{v2, v1}, Stable: v2,
		Phase: release.PhaseStable, UpdatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	return fn, env, v1
}

// TestWiredRestoreMovesTraffic: `/ship restore` on AWS moves the Lambda
// alias back through the wired traffic shifters (awsfake Lambda) and
// records who asked, for a deployer on the pipeline's chat allow-list.
func TestWiredRestoreMovesTraffic(t *testing.T) {
	ctx := context.Background()
	fn, env, v1 := restoreWorld(t)
	h := wiringtest.Build(t, env, newHandler)
	rel, err := h.Ops.Restore(ctx, chatops.Actor{Names: []string{"T1DC2JH3J:U2CERLKJA"}, Source: "slack"}, "orders", v1, "pager is on fire", "trigger-1")
	if err != nil || rel.Status != release.StatusSucceeded || rel.Trigger.Kind != release.TriggerRestore {
		t.Fatalf("restore = %+v, %v; want a SUCCEEDED restore release", rel, err)
	}
	if a, ok := fn.Alias("orders", "live"); !ok || a.Version != v1 || len(a.Weights) != 0 {
		t.Errorf("alias after restore = %+v, want all traffic on %s", a, v1)
	}
}

// TestSlowCommandsRunInTheNextInvocation: on Lambda an invocation freezes
// once it has answered, so the wired function answers a command that
// changes something at once, invokes itself asynchronously with the
// verified command (the fake Lambda records it), and that invocation runs
// the command and posts the result to response_url.
func TestSlowCommandsRunInTheNextInvocation(t *testing.T) {
	ctx := context.Background()
	fn, env, v1 := restoreWorld(t)
	fn.AddFunction("shipwave-slack", "sha-slack")
	env.Vars["AWS_LAMBDA_FUNCTION_NAME"] = "shipwave-slack"
	before, _ := fn.Alias("orders", "live")
	v2 := before.Version
	posted := make(chan string, 4)
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posted <- string(b)
	}))
	t.Cleanup(slackAPI.Close)

	h := wiringtest.Build(t, env, newHandler)
	if h.Defer == nil {
		t.Fatal("the wired handler defers nothing although AWS_LAMBDA_FUNCTION_NAME is set")
	}
	secret := "slack-signing-secret"
	h.Secrets = auth.Static{"shipwave/slack": secret}
	h.ResponseHosts = []string{slackAPI.URL}
	invoke := entry(h, slog.New(slog.DiscardHandler))

	form := url.Values{"command": {"/ship"}, "text": {"restore orders to " + v1 + " pager is on fire"}, "team_id": {"T1DC2JH3J"},
		"user_id": {"U2CERLKJA"}, "response_url": {slackAPI.URL + "/commands/1"}, "trigger_id": {"trigger-1"}}
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req := events.APIGatewayV2HTTPRequest{RawPath: "/slack", Body: body,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts,
			"x-slack-signature": auth.SignSlack([]byte(secret), ts, []byte(body))}}
	req.RequestContext.HTTP.Method = http.MethodPost
	raw, _ := json.Marshal(req)
	out, err := invoke(ctx, raw)
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if err != nil || !ok || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Working on") {
		t.Fatalf("slash command answered %+v, %v; want 200 Working on", out, err)
	}
	if a, _ := fn.Alias("orders", "live"); a.Version != v2 {
		t.Fatalf("the alias moved to %s in the answering invocation; the command must run in the next one", a.Version)
	}
	calls := fn.Requests("Invoke")
	if len(calls) != 1 || calls[0].Params["InvocationType"] != "Event" || calls[0].Params["FunctionName"] != "shipwave-slack" {
		t.Fatalf("self-invocations = %+v, want one asynchronous invoke of shipwave-slack", calls)
	}
	payload, _ := calls[0].Params["Payload"].(string)
	if out, err := invoke(ctx, json.RawMessage(payload)); err != nil || out != nil {
		t.Fatalf("the deferred invocation = %v, %v", out, err)
	}
	if a, ok := fn.Alias("orders", "live"); !ok || a.Version != v1 || len(a.Weights) != 0 {
		t.Errorf("alias after the deferred restore = %+v, want all traffic on %s", a, v1)
	}
	select {
	case msg := <-posted:
		if !strings.Contains(msg, `"replace_original":true`) || !strings.Contains(msg, "orders") {
			t.Errorf("follow-up = %s, want the result replacing the working-on message", msg)
		}
	default:
		t.Error("the deferred invocation posted nothing to response_url")
	}
}
