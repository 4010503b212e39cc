package slack_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/auth"
)

// TestHTTPSamples replays the API Gateway samples in events/ through the
// Lambda adapter at the moment they were signed.
func TestHTTPSamples(t *testing.T) {
	tests := []struct {
		file, secret string
		at           time.Time
		want         string
		releases     int
	}{
		{file: "http-slack-docs-example.json", secret: signingSecret, at: time.Unix(1531420618, 0), want: "Usage:"},
		{file: "http-slack-deploy.json", secret: "shipwave-sample-secret", at: time.Unix(1795330800, 0), want: "started release", releases: 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile("../../../events/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			w := newWorld(t, nil)
			w.now = tt.at.Add(2 * time.Second)
			w.handler.Secrets = auth.Static{"slack": tt.secret}
			out, err := apigw.Handler(w.handler)(context.Background(), ev)
			if err != nil || out.StatusCode != 200 || !strings.Contains(out.Body, tt.want) {
				t.Fatalf("got %d %s, %v; want 200 with %q", out.StatusCode, out.Body, err, tt.want)
			}
			if n := len(w.releases(t)); n != tt.releases {
				t.Errorf("got %d releases, want %d", n, tt.releases)
			}
			// Six minutes later the same request is stale.
			w.now = tt.at.Add(6 * time.Minute)
			if out, _ := apigw.Handler(w.handler)(context.Background(), ev); out.StatusCode != 401 {
				t.Errorf("stale replay: got %d, want 401", out.StatusCode)
			}
		})
	}
}

// TestNegativeHTTPSamples replays every Slack sample in events/negative at
// the genuine sample's time: each is refused with 401 and creates nothing,
// and the genuine request still works afterwards.
func TestNegativeHTTPSamples(t *testing.T) {
	files, _ := filepath.Glob("../../../events/negative/http-slack-*.json")
	if len(files) < 3 {
		t.Fatalf("found %d negative Slack samples, want at least 3", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			w := newWorld(t, nil)
			w.now = time.Unix(1795330800, 2)
			w.handler.Secrets = auth.Static{"slack": "shipwave-sample-secret"}
			h := apigw.Handler(w.handler)
			if out, err := h(context.Background(), loadHTTP(t, f)); err != nil || out.StatusCode != 401 {
				t.Fatalf("got %d %s, %v; want 401", out.StatusCode, out.Body, err)
			}
			if n := len(w.releases(t)); n != 0 {
				t.Fatalf("created %d releases", n)
			}
			if out, _ := h(context.Background(), loadHTTP(t, "../../../events/http-slack-deploy.json")); !strings.Contains(out.Body, "started release") {
				t.Fatalf("genuine request afterwards: got %d %s", out.StatusCode, out.Body)
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
