package alexa_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/golden"
)

// alexaSamples are the Alexa request bodies in events/ that have an API
// Gateway HTTP API (payload 2.0) sample, events/http-<name>: what the Alexa
// function receives, for `sam local invoke AlexaFunction -e`.
var alexaSamples = []string{"alexa-launch.json", "alexa-deploy.json", "alexa-deploy-confirmed.json", "alexa-status.json", "alexa-approve-confirmed.json", "alexa-rollback-confirmed.json"}

// TestHTTPSamples checks that each events/http-alexa-*.json is a POST
// /alexa event carrying its alexa-*.json body as Alexa sends it, with
// Alexa's certificate URL. Alexa signs with Amazon's key, which no test
// has: the samples' Signature-256 is a placeholder, so the function
// answers them (under sam local invoke too) by refusing the signature,
// after checking the certificate URL and the rest of the request shape.
func TestHTTPSamples(t *testing.T) {
	for _, name := range alexaSamples {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile("../../events/" + name)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			if err := json.Compact(&body, raw); err != nil {
				t.Fatal(err)
			}
			path := "../../events/http-" + name
			if golden.Update() {
				ev := events.APIGatewayV2HTTPRequest{
					Version: "2.0", RouteKey: "POST /alexa", RawPath: "/alexa", Body: body.String(),
					Headers: map[string]string{
						"content-type": "application/json; charset=utf-8", "user-agent": "Apache-HttpClient/UNAVAILABLE (Java/1.8.0_412)",
						strings.ToLower(auth.HeaderAlexaCertURL):      "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem",
						strings.ToLower(auth.HeaderAlexaSignature256): "placeholder-not-signed-by-amazon",
					},
					RequestContext: events.APIGatewayV2HTTPRequestContext{
						AccountID: "123456789012", APIID: "a1b2c3d4e5", DomainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
						Stage: "$default", RouteKey: "POST /alexa", RequestID: "JKJaXmPLvHcESHC=", TimeEpoch: 1795330800000,
						HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/alexa", Protocol: "HTTP/1.1", SourceIP: "72.21.217.1", UserAgent: "Apache-HttpClient/UNAVAILABLE (Java/1.8.0_412)"},
					},
				}
				b, err := json.MarshalIndent(ev, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read sample (run with -update): %v", err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.RouteKey != "POST /alexa" || ev.RequestContext.HTTP.Method != "POST" || ev.RawPath != "/alexa" || ev.Body != body.String() {
				t.Errorf("%s: route %q %s %s, body equal to %s: %v", path, ev.RouteKey, ev.RequestContext.HTTP.Method, ev.RawPath, name, ev.Body == body.String())
			}
			if err := auth.CheckAlexaCertURL(ev.Headers[strings.ToLower(auth.HeaderAlexaCertURL)]); err != nil {
				t.Errorf("%s: certificate URL: %v", path, err)
			}
		})
	}
}
