package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/authtest"
	"github.com/shipwave/shipwave/shared/dynalite"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/local/localtest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/syncbuf"
)

// The probe's pipelines: shop may be started by pushes, chat and voice;
// quiet, on the same repository, only manually.
const (
	probeShop = `apiVersion: shipwave/v1
pipeline: shop
source: { repository: acme/shop, branch: main }
executionMode: PARALLEL
triggers: [{ push: {} }, { chat: {} }, { voice: {} }]
chat:
  deployers: [U0DEPLOY, "amzn1.ask.person.DEPLOYER"]
  approvers: [U0APPROVE]
stages:
  - name: prod
    approval: { approvers: [U0APPROVE], timeout: 1h }
    targets: [{ type: local, service: shop-a, instances: 1 }]
    deployment: AllAtOnce
    bake: 1s
`
	probeQuiet = `apiVersion: shipwave/v1
pipeline: quiet
source: { repository: acme/shop, branch: main }
chat:
  deployers: [U0DEPLOY]
stages:
  - name: prod
    targets: [{ type: local, service: quiet-a, instances: 1 }]
`
	probeSkill  = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
	probeGitHub = "gh-secret"
	probeGitLab = "gl-token"
	probeSlack  = "slack-signing-secret"
)

type probe struct {
	st   *local.Stack
	base string
	db   *dynamodb.Client
	ca   *authtest.AlexaCA
}

func startProbe(t *testing.T) *probe {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, src := range map[string]string{"shop.yaml": probeShop, "quiet.yaml": probeQuiet} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	ca := authtest.NewAlexaCA(t, authtest.ChainOptions{})
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(dir, "secrets.json")
	raw, _ := json.Marshal(map[string]string{"githubSecret": probeGitHub, "gitlabToken": probeGitLab, "slackSigningSecret": probeSlack,
		"alexaSkillId": probeSkill, "alexaTrustRoots": roots})
	if err := os.WriteFile(secrets, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	sec, err := local.LoadSecrets(secrets)
	if err != nil {
		t.Fatal(err)
	}
	fleet := localtest.NewFleet()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := local.Start(ctx, local.Config{
		Specs: files, Binary: os.Args[0], DynaliteBin: dynalitetest.Bin(t), APIAddr: "127.0.0.1:0",
		Secrets: sec, AlexaFetcher: ca.Fetcher(), // the chain is served by the test CA
		Fleet: func(context.Context, local.FleetSetup) (local.Fleet, local.AlarmEngine, error) {
			return fleet, localtest.OKAlarms{}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &probe{st: st, base: st.URL(), db: dynalite.NewClient(st.DBEndpoint()), ca: ca}
}

// snapshot is every stored item (releases, events, tokens, idempotency
// keys, …) by key, in a comparable form.
func (p *probe) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	in := &dynamodb.ScanInput{TableName: aws.String(local.Table)}
	for {
		res, err := p.db.Scan(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(m)
			out[fmt.Sprint(m["PK"], "|", m["SK"])] = string(b)
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func diff(before, after map[string]string) []string {
	var d []string
	for k, v := range after {
		if w, ok := before[k]; !ok {
			d = append(d, "added "+k)
		} else if w != v {
			d = append(d, "changed "+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			d = append(d, "removed "+k)
		}
	}
	sort.Strings(d)
	return d
}

// unchanged runs req and fails if the store changed or the status is not
// want.
func (p *probe) unchanged(t *testing.T, name string, want int, req func() (int, string)) {
	t.Helper()
	p.unchangedBut(t, name, want, "", req)
}

// unchangedBut is unchanged, allowing one new idempotency key with prefix
// claim: the replay claim of an authentic (signed, fresh) request that is
// then refused; it must be claimed so that the request is used once.
func (p *probe) unchangedBut(t *testing.T, name string, want int, claim string, req func() (int, string)) {
	t.Helper()
	before := p.snapshot(t)
	code, body := req()
	if code != want {
		t.Errorf("%s: got %d %s, want %d", name, code, clip(body), want)
	}
	d := diff(before, p.snapshot(t))
	if claim != "" && len(d) == 1 && strings.HasPrefix(d[0], "added IDEMPOTENCY#"+claim) {
		d = nil
	}
	if len(d) > 0 {
		t.Errorf("%s changed the store: %v", name, d)
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// githubPush is a GitHub push of after onto main.
func githubPush(before, after string) []byte {
	return fmt.Appendf(nil, `{"ref":"refs/heads/main","before":%q,"after":%q,"repository":{"full_name":"acme/shop"},"pusher":{"name":"dev"},"head_commit":{"id":%q,"timestamp":"2026-11-22T09:00:00Z"},"commits":[{"id":%q,"added":["src/a.go"],"modified":[],"removed":[]}]}`, before, after, after, after)
}

func (p *probe) webhook(t *testing.T, body []byte, delivery string, sign func([]byte) string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, p.base+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.HeaderGitHubEvent, "push")
	req.Header.Set(auth.HeaderGitHubDelivery, delivery)
	if sign != nil {
		req.Header.Set(auth.HeaderGitHubSignature, sign(body))
	}
	return req
}

func slackForm(user, name, text string) string {
	v := url.Values{}
	v.Set("team_id", "T0PROBE")
	v.Set("user_id", user)
	v.Set("user_name", name)
	v.Set("command", "/ship")
	v.Set("text", text)
	v.Set("trigger_id", "trig-"+user+"-"+strconv.Itoa(len(text)))
	return v.Encode()
}

func (p *probe) slack(body string, ts time.Time, secret string, mangle func(string) string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, p.base+"/slack", strings.NewReader(body))
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := auth.SignSlack([]byte(secret), stamp, []byte(body))
	if mangle != nil {
		sig = mangle(sig)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(auth.HeaderSlackTimestamp, stamp)
	req.Header.Set(auth.HeaderSlackSignature, sig)
	return req
}

func alexaIntent(skill, requestID, intent, person string, ts time.Time, slots string) []byte {
	return fmt.Appendf(nil, `{"version":"1.0","session":{"new":true,"sessionId":"s1","application":{"applicationId":%q},"user":{"userId":"amzn1.ask.account.U"}},"context":{"System":{"application":{"applicationId":%q},"user":{"userId":"amzn1.ask.account.U"},"person":{"personId":%q}}},"request":{"type":"IntentRequest","requestId":%q,"timestamp":%q,"locale":"en-US","intent":{"name":%q,"confirmationStatus":"CONFIRMED","slots":{%s}}}}`,
		skill, skill, person, requestID, ts.UTC().Format(time.RFC3339), intent, slots)
}

func (p *probe) alexa(t *testing.T, body []byte, h http.Header) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, p.base+"/alexa", bytes.NewReader(body))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	return req
}

func (p *probe) api(method, path, ctype, body string, hdr map[string]string) *http.Request {
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}

func (p *probe) releases(t *testing.T, pipeline string) []release.Release {
	t.Helper()
	rs, _, err := p.st.Store().ListReleases(context.Background(), pipeline, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestProbeOutsideRequests sends signed, forged, stale, replayed,
// re-encoded, renamed-user and cross-site requests to a running stack over
// loopback HTTP and checks that only the ones their senders made change
// anything, and that those do what docs/triggers.md says.
func TestProbeOutsideRequests(t *testing.T) {
	p := startProbe(t)
	now := time.Now()
	bearer := map[string]string{"Authorization": "Bearer " + p.st.Token()}
	ghSign := func(b []byte) string { return auth.SignGitHub([]byte(probeGitHub), b) }
	c1 := strings.Repeat("1", 40)
	c2 := strings.Repeat("2", 40)
	push1 := githubPush(c1, c2)

	// Requests nobody with the secrets made change nothing.
	p.unchanged(t, "unsigned push", 401, func() (int, string) { return do(t, p.webhook(t, push1, "d-0", nil)) })
	p.unchanged(t, "push signed with another secret", 401, func() (int, string) {
		return do(t, p.webhook(t, push1, "d-0", func(b []byte) string { return auth.SignGitHub([]byte("guess"), b) }))
	})
	p.unchanged(t, "push signature in upper-case hex", 401, func() (int, string) {
		return do(t, p.webhook(t, push1, "d-0", func(b []byte) string { return "sha256=" + strings.ToUpper(strings.TrimPrefix(ghSign(b), "sha256=")) }))
	})
	p.unchanged(t, "gitlab push with a wrong token", 401, func() (int, string) {
		req := p.webhook(t, push1, "d-0", nil)
		req.Header.Del(auth.HeaderGitHubEvent)
		req.Header.Set(auth.HeaderGitLabEvent, "Push Hook")
		req.Header.Set(auth.HeaderGitLabToken, "not-the-token")
		return do(t, req)
	})
	p.unchanged(t, "API push without the token", 401, func() (int, string) {
		return do(t, p.api("POST", "/v1/pipelines/shop/push", "application/json", `{"version":"v9"}`, nil))
	})
	p.unchanged(t, "API push with a wrong token", 401, func() (int, string) {
		return do(t, p.api("POST", "/v1/pipelines/shop/push", "application/json", `{"version":"v9"}`, map[string]string{"Authorization": "Bearer nope"}))
	})
	p.unchanged(t, "API push as text/plain", 415, func() (int, string) {
		return do(t, p.api("POST", "/v1/pipelines/shop/push", "text/plain", `{"version":"v9"}`, bearer))
	})
	p.unchanged(t, "API push from another origin", 403, func() (int, string) {
		return do(t, p.api("POST", "/v1/pipelines/shop/push", "application/json", `{"version":"v9"}`, map[string]string{"Authorization": bearer["Authorization"], "Origin": "http://evil.example"}))
	})
	p.unchanged(t, "API push marked cross-site", 403, func() (int, string) {
		return do(t, p.api("POST", "/v1/pipelines/shop/push", "application/json", `{"version":"v9"}`, map[string]string{"Authorization": bearer["Authorization"], "Sec-Fetch-Site": "cross-site"}))
	})
	p.unchanged(t, "API event without the token", 401, func() (int, string) {
		ev, _ := os.ReadFile(filepath.Join("..", "..", "events", "webhook-github-push.json"))
		return do(t, p.api("POST", "/v1/events", "application/json", string(ev), nil))
	})
	deploy := slackForm("U0DEPLOY", "dev", "deploy shop v7")
	p.unchanged(t, "slack deploy with a forged signature", 401, func() (int, string) { return do(t, p.slack(deploy, now, "guess", nil)) })
	p.unchanged(t, "stale slack deploy", 401, func() (int, string) { return do(t, p.slack(deploy, now.Add(-6*time.Minute), probeSlack, nil)) })
	p.unchangedBut(t, "slack deploy by a user who took a listed name", 200, "slack:", func() (int, string) {
		return do(t, p.slack(slackForm("U0EVIL", "U0DEPLOY", "deploy shop v7"), now, probeSlack, nil))
	})
	p.unchangedBut(t, "slack deploy of a pipeline without a chat trigger", 200, "slack:", func() (int, string) {
		code, body := do(t, p.slack(slackForm("U0DEPLOY", "dev", "deploy quiet v7"), now, probeSlack, nil))
		if !strings.Contains(body, "started manually only") {
			t.Errorf("refused chat deploy does not say why: %s", body)
		}
		return code, body
	})
	status := alexaIntent(probeSkill, "amzn1.echo-api.request.s1", "StatusIntent", "amzn1.ask.person.DEPLOYER", now, `"pipeline":{"name":"pipeline","value":"shop"}`)
	stale := alexaIntent(probeSkill, "amzn1.echo-api.request.s2", "StatusIntent", "amzn1.ask.person.DEPLOYER", now.Add(-10*time.Minute), `"pipeline":{"name":"pipeline","value":"shop"}`)
	p.unchanged(t, "stale alexa request", 400, func() (int, string) { return do(t, p.alexa(t, stale, p.ca.Headers(t, stale))) })
	foreign := alexaIntent("amzn1.ask.skill.other", "amzn1.echo-api.request.s3", "StatusIntent", "amzn1.ask.person.DEPLOYER", now, `"pipeline":{"name":"pipeline","value":"shop"}`)
	p.unchanged(t, "alexa request for another skill", 400, func() (int, string) { return do(t, p.alexa(t, foreign, p.ca.Headers(t, foreign))) })
	if n := p.ca.Fetches(); n != 0 {
		t.Errorf("stale and foreign alexa requests fetched the certificate chain %d times", n)
	}
	p.unchanged(t, "alexa request with a forged signature", 400, func() (int, string) {
		h := p.ca.Headers(t, status)
		h.Set(auth.HeaderAlexaSignature256, authtest.Sign256(t, authtest.NewKey(t), status))
		return do(t, p.alexa(t, status, h))
	})
	if rs := p.releases(t, "shop"); len(rs) != 0 {
		t.Fatalf("refused requests made releases: %+v", rs)
	}

	// A signed push releases shop (push trigger) and not quiet (manual only).
	code, body := do(t, p.webhook(t, push1, "d-1", ghSign))
	delivered := time.Now().Round(0) // wall clock: the store stamps specs with it
	if code != http.StatusAccepted {
		t.Fatalf("signed push: got %d %s", code, body)
	}
	shop := p.releases(t, "shop")
	if len(shop) != 1 || shop[0].Trigger.Kind != release.TriggerPush || shop[0].Version != c2 {
		t.Fatalf("signed push: shop releases %+v, want one push release of %s", shop, c2)
	}
	if q := p.releases(t, "quiet"); len(q) != 0 {
		t.Fatalf("a push released quiet, which lists no push trigger: %+v", q)
	}
	rel := shop[0]
	waitToken(t, p.st, rel.ID, release.TokenApproval)

	p.unchanged(t, "the same delivery again", 200, func() (int, string) { return do(t, p.webhook(t, push1, "d-1", ghSign)) })

	// Slack: authorize first, then answer; bound to release ids.
	p.unchangedBut(t, "slack approve by a non-approver", 200, "slack:", func() (int, string) {
		code, body := do(t, p.slack(slackForm("U0DEPLOY", "dev", "approve shop"), now, probeSlack, nil))
		if strings.Contains(body, "waiting") {
			t.Errorf("a refusal told an outsider what waits: %s", body)
		}
		return code, body
	})
	p.unchangedBut(t, "slack approve of the current release signed before it existed", 200, "slack:", func() (int, string) {
		code, body := do(t, p.slack(slackForm("U0APPROVE", "ops", "approve shop"), now.Add(-2*time.Minute), probeSlack, nil))
		if !strings.Contains(body, "started after this request") {
			t.Errorf("old approval: got %s", body)
		}
		return code, body
	})
	approve := p.slack(slackForm("U0APPROVE", "ops", "approve shop "+rel.ID), time.Now(), probeSlack, nil)
	sig, stamp := approve.Header.Get(auth.HeaderSlackSignature), approve.Header.Get(auth.HeaderSlackTimestamp)
	approveBody := slackForm("U0APPROVE", "ops", "approve shop "+rel.ID)
	if code, body := do(t, approve); code != 200 || !strings.Contains(body, "approved release") {
		t.Fatalf("slack approve: got %d %s", code, body)
	}
	if v := waitRelease(t, p.st, rel.ID); v.Release.Status != release.StatusSucceeded {
		t.Fatalf("approved release ended %s: %s", v.Release.Status, eventTypes(v.Events))
	}
	for _, s := range []string{sig, "v0=" + strings.ToUpper(strings.TrimPrefix(sig, "v0="))} {
		p.unchanged(t, "slack approve replayed as "+s[:12], 401, func() (int, string) {
			req, _ := http.NewRequest(http.MethodPost, p.base+"/slack", strings.NewReader(approveBody))
			req.Header.Set(auth.HeaderSlackTimestamp, stamp)
			req.Header.Set(auth.HeaderSlackSignature, s)
			return do(t, req)
		})
	}

	// A pipeline created now; the old push replayed under a new delivery id
	// must not release it (nor shop a second time).
	late, err := spec.Parse("late.yaml", []byte(strings.Replace(probeShop, "pipeline: shop", "pipeline: late", 1)))
	if err != nil {
		t.Fatal(err)
	}
	// The spec's creation time must follow the push's first delivery.
	eventually.True(t, time.Second, "the wall clock to pass the push's first delivery", func() bool { return time.Now().Round(0).After(delivered) })
	if _, err := p.st.Store().SaveSpec(context.Background(), release.SpecVersion{Pipeline: "late", Source: []byte(probeShop), Parsed: late}); err != nil {
		t.Fatal(err)
	}
	if code, body := do(t, p.webhook(t, push1, "d-2", ghSign)); code != http.StatusAccepted {
		t.Fatalf("replay under a new delivery id: got %d %s", code, body)
	}
	if rs := p.releases(t, "late"); len(rs) != 0 {
		t.Fatalf("an old push replayed released a pipeline created after it: %+v", rs)
	}
	if rs := p.releases(t, "shop"); len(rs) != 1 {
		t.Fatalf("the replay made %d shop releases, want 1", len(rs))
	}
	// A new push does release the new pipeline.
	if code, body := do(t, p.webhook(t, githubPush(c2, strings.Repeat("3", 40)), "d-3", ghSign)); code != http.StatusAccepted {
		t.Fatalf("new push: got %d %s", code, body)
	}
	lateRels := p.releases(t, "late")
	if len(lateRels) != 1 {
		t.Fatalf("a new push made %d releases of late, want 1", len(lateRels))
	}
	waitToken(t, p.st, lateRels[0].ID, release.TokenApproval)
	waitToken(t, p.st, p.releases(t, "shop")[0].ID, release.TokenApproval)

	// Alexa: a signed status request is answered.
	if code, body := do(t, p.alexa(t, status, p.ca.Headers(t, status))); code != 200 || !strings.Contains(body, "shop") {
		t.Fatalf("alexa status: got %d %s", code, body)
	}
	p.unchanged(t, "alexa request replayed", 400, func() (int, string) { return do(t, p.alexa(t, status, p.ca.Headers(t, status))) })

	// GitLab: the static token, right this time, publishes the push (to a
	// repository no pipeline here releases from).
	gl, err := os.ReadFile(filepath.Join("..", "webhook", "testdata", "gitlab-push.json"))
	if err != nil {
		t.Fatal(err)
	}
	glReq := p.webhook(t, gl, "", nil)
	glReq.Header.Del(auth.HeaderGitHubEvent)
	glReq.Header.Del(auth.HeaderGitHubDelivery)
	glReq.Header.Set(auth.HeaderGitLabEvent, "Push Hook")
	glReq.Header.Set(auth.HeaderGitLabEventUUID, "gl-1")
	glReq.Header.Set(auth.HeaderGitLabToken, probeGitLab)
	if code, body := do(t, glReq); code != http.StatusAccepted || !strings.Contains(body, `"published"`) {
		t.Fatalf("gitlab push with the token: got %d %s", code, body)
	}

	// The token's holder drives the API; the body's actor is only a label.
	code, body = do(t, p.api("POST", "/v1/pipelines/shop/push", "application/json", `{"version":"v9","actor":"someone"}`, bearer))
	if code != 200 {
		t.Fatalf("API push with the token: %d %s", code, body)
	}
}

// TestProbeDisabledEndpoints: without --secrets the outside endpoints say
// they are off and change nothing.
func TestProbeDisabledEndpoints(t *testing.T) {
	h := startStack(t, strings.Replace(oneStage, "%s", "verify", 1), "")
	for _, path := range []string{"/webhook", "/slack", "/alexa"} {
		req, _ := http.NewRequest(http.MethodPost, h.stack.URL()+path, strings.NewReader("{}"))
		code, body := do(t, req)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "not configured") {
			t.Errorf("%s: got %d %s, want 503 saying it is not configured", path, code, body)
		}
	}
}

// TestAPIListPaginates: GET /v1/releases pages with a cursor instead of
// stopping silently.
func TestAPIListPaginates(t *testing.T) {
	h := startStack(t, strings.Replace(oneStage, "%s", "verify", 1), "")
	c := h.stack.Client()
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		res, err := c.Push(ctx, "shop", local.PushRequest{Version: fmt.Sprintf("v%d", i+2), Key: fmt.Sprintf("k%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ReleaseID)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		page, err := c.ReleasePage(ctx, "shop", 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Releases {
			seen[r.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 5 || pages != 3 {
		t.Errorf("paged through %d releases in %d pages, want 5 in 3", len(seen), pages)
	}
	for _, id := range ids {
		if !seen[id] {
			t.Errorf("release %s never listed", id)
		}
	}
	if _, err := c.ReleasePage(ctx, "shop", 2, "not-a-cursor"); err == nil {
		t.Error("a forged cursor was accepted")
	}
	all, err := c.Releases(ctx, "")
	if err != nil || len(all) != 5 {
		t.Errorf("all releases: %d, %v; want 5", len(all), err)
	}
}

func waitToken(t *testing.T, st *local.Stack, id string, kind release.TokenKind) {
	t.Helper()
	eventually.True(t, 20*time.Second, fmt.Sprintf("release %s to wait for %s", id, kind), func() bool {
		toks, err := st.Store().TokensByRelease(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range toks {
			if tok.Kind == kind {
				return true
			}
		}
		return false
	})
	if kind == release.TokenApproval {
		// The token is stored first, then the event recorded: only then
		// does the release stand still.
		waitEvent(t, st, id, release.EventApprovalWaiting)
	}
}

// TestSchedulesFireLocally: a pipeline's schedule trigger fires on the
// stack's clock (scaled here: a minute takes half a second) through the
// schedule runner.
func TestSchedulesFireLocally(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "nightly.yaml")
	src := strings.Replace(strings.Replace(oneStage, "%s", "verify", 1), "executionMode: QUEUED\n", "executionMode: QUEUED\ntriggers: [{ schedule: { cron: \"* * * * ? *\" } }]\n", 1)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	fleet := localtest.NewFleet()
	st, err := local.Start(context.Background(), local.Config{
		Specs: []string{file}, Binary: os.Args[0], DynaliteBin: dynalitetest.Bin(t), APIAddr: "127.0.0.1:0", TimeScale: 120,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Fleet: func(context.Context, local.FleetSetup) (local.Fleet, local.AlarmEngine, error) {
			return fleet, localtest.OKAlarms{}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eventually.NoError(t, 20*time.Second, "the schedule to fire", func() error {
		if !strings.Contains(logs.String(), `"msg":"scheduled release skipped","pipeline":"shop","rule":0`) {
			return fmt.Errorf("logs:\n%s", logs.String())
		}
		return nil
	})
	// Nothing was ever released, so there is no good version: skipped, and
	// nothing stored.
	if rs := (&probe{st: st}).releases(t, "shop"); len(rs) != 0 {
		t.Errorf("a firing with no good version released %+v", rs)
	}
}

func TestLoadSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	notPEM := write("roots.txt", "not a certificate")
	tests := []struct {
		name, content, wantErr string
	}{
		{name: "all optional", content: `{}`},
		{name: "slack only", content: `{"slackSigningSecret":"s"}`},
		{name: "unknown key", content: `{"githubSecrets":"s"}`, wantErr: `unknown field "githubSecrets"`},
		{name: "not an object", content: `[]`, wantErr: "want a JSON object"},
		{name: "roots without a certificate", content: `{"alexaTrustRoots":"` + notPEM + `"}`, wantErr: "holds no PEM certificate"},
		{name: "roots missing", content: `{"alexaTrustRoots":"` + filepath.Join(dir, "none.pem") + `"}`, wantErr: "alexaTrustRoots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := write("secrets.json", tt.content)
			_, err := local.LoadSecrets(file)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), file)):
				t.Fatalf("got %v, want an error naming %s and containing %q", err, file, tt.wantErr)
			}
		})
	}
}
