package webhook_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/webhook"
)

// SampleSecret signs the HTTP API samples in events/ (GitHub webhook secret
// and GitLab token alike), so they can be replayed with sam local invoke
// against a function configured with it.
const sampleSecret = "shipwave-sample-secret"

// httpSample is an API Gateway HTTP API (payload 2.0) event carrying a
// webhook delivery exactly as the provider sends it.
func httpSample(path string, headers map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + path, RawPath: path, Headers: headers, Body: string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "a1b2c3d4e5", DomainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
			Stage: "$default", RouteKey: "POST " + path, RequestID: "JKJaXmPLvHcESHA=", TimeEpoch: 1795327200000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "140.82.115.1", UserAgent: headers["user-agent"]},
		},
	}
}

func TestHTTPSamples(t *testing.T) {
	type sample struct {
		file    string
		payload string
		headers func(body []byte) map[string]string
	}
	github := func(event, delivery string) func([]byte) map[string]string {
		return func(body []byte) map[string]string {
			return map[string]string{
				"content-type": "application/json", "user-agent": "GitHub-Hookshot/044aadd", "x-github-event": event,
				"x-github-delivery": delivery, "x-github-hook-id": "109948940",
				"x-hub-signature-256": auth.SignGitHub([]byte(sampleSecret), body),
			}
		}
	}
	gitlab := func(event, uuid string) func([]byte) map[string]string {
		return func([]byte) map[string]string {
			return map[string]string{
				"content-type": "application/json", "user-agent": "GitLab/17.5.0", "x-gitlab-event": event,
				"x-gitlab-event-uuid": uuid, "x-gitlab-instance": "https://gitlab.example.com", "x-gitlab-token": sampleSecret,
			}
		}
	}
	samples := []sample{
		{file: "http-github-push.json", payload: "github-push.json", headers: github("push", "72d3162e-cc78-11e3-81ab-4c9367dc0958")},
		{file: "http-github-tag.json", payload: "github-tag.json", headers: github("push", "8a1f0c2e-cc78-11e3-81ab-4c9367dc0958")},
		{file: "http-gitlab-push.json", payload: "gitlab-push.json", headers: gitlab("Push Hook", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")},
		{file: "http-gitlab-tag.json", payload: "gitlab-tag.json", headers: gitlab("Tag Push Hook", "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e")},
	}
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			path := "../../events/" + s.file
			if golden.Update() {
				body := payload(t, s.payload)
				b, err := json.MarshalIndent(httpSample("/webhook", s.headers(body), body), "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read sample (run with -update): %v", err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			client, table := dynalitetest.Table(t)
			pub := &recorder{}
			h := &webhook.Handler{Secrets: auth.Static{"gh": sampleSecret, "gl": sampleSecret}, GitHubSecret: "gh", GitLabSecret: "gl",
				Deliveries: store.New(client, table), Publisher: pub}
			out, err := apigw.Handler(h)(context.Background(), ev)
			if err != nil || out.StatusCode != 202 {
				t.Fatalf("got %d %s, %v; want 202", out.StatusCode, out.Body, err)
			}
			if len(pub.got()) != 1 {
				t.Fatalf("published %d pushes, want 1", len(pub.got()))
			}
			// The same event again is a duplicate delivery.
			if out, _ := apigw.Handler(h)(context.Background(), ev); out.StatusCode != 200 {
				t.Fatalf("redelivery: got %d %s", out.StatusCode, out.Body)
			}
		})
	}
}

// TestNegativeHTTPSamples replays every webhook sample in events/negative:
// each is refused, publishes nothing and claims nothing, so the genuine
// delivery with the same id still goes through afterwards.
func TestNegativeHTTPSamples(t *testing.T) {
	var files []string
	for _, pattern := range []string{"http-github-*.json", "http-gitlab-*.json", "http-webhook-*.json"} {
		m, _ := filepath.Glob(filepath.Join("../../events/negative", pattern))
		files = append(files, m...)
	}
	if len(files) < 5 {
		t.Fatalf("found %d negative webhook samples, want at least 5", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			client, table := dynalitetest.Table(t)
			pub := &recorder{}
			h := apigw.Handler(&webhook.Handler{Secrets: auth.Static{"gh": sampleSecret, "gl": sampleSecret}, GitHubSecret: "gh", GitLabSecret: "gl",
				Deliveries: store.New(client, table), Publisher: pub})
			ev := loadHTTP(t, f)
			out, err := h(context.Background(), ev)
			if err != nil || out.StatusCode < 400 || out.StatusCode >= 500 {
				t.Fatalf("got %d %s, %v; want a 4xx refusal", out.StatusCode, out.Body, err)
			}
			if n := len(pub.got()); n != 0 {
				t.Fatalf("published %d pushes", n)
			}
			genuine := "../../events/http-github-push.json"
			if strings.Contains(f, "gitlab") {
				genuine = "../../events/http-gitlab-push.json"
			}
			if out, _ := h(context.Background(), loadHTTP(t, genuine)); out.StatusCode != 202 {
				t.Fatalf("the genuine delivery afterwards: got %d %s, want 202", out.StatusCode, out.Body)
			}
		})
	}
}

func loadHTTP(t testing.TB, path string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}
