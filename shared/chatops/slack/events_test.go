package slack_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/webhook/httpapi"
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
			out, err := httpapi.Handler(w.handler)(context.Background(), ev)
			if err != nil || out.StatusCode != 200 || !strings.Contains(out.Body, tt.want) {
				t.Fatalf("got %d %s, %v; want 200 with %q", out.StatusCode, out.Body, err, tt.want)
			}
			if n := len(w.releases(t)); n != tt.releases {
				t.Errorf("got %d releases, want %d", n, tt.releases)
			}
			// Six minutes later the same request is stale.
			w.now = tt.at.Add(6 * time.Minute)
			if out, _ := httpapi.Handler(w.handler)(context.Background(), ev); out.StatusCode != 401 {
				t.Errorf("stale replay: got %d, want 401", out.StatusCode)
			}
		})
	}
}
