package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/auth"
)

// TestResignedSampleVerifies: the re-signed sample passes Slack
// verification at the time it was signed with the test secret, and the
// checked-in sample does not (it is stale then).
func TestResignedSampleVerifies(t *testing.T) {
	at := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	dir := t.TempDir()
	var stdout bytes.Buffer
	src := "../../events/http-slack-deploy.json"
	if err := run([]string{"-secret", "shipwave-sample-secret", "-out", dir, src}, func() time.Time { return at }, &stdout); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{filepath.Join(dir, "http-slack-deploy.json"): true, src: false} {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		for k, v := range ev.Headers {
			h.Set(k, v)
		}
		err = auth.VerifySlack([]byte("shipwave-sample-secret"), h, []byte(ev.Body), at, 5*time.Minute)
		if got := err == nil; got != want {
			t.Errorf("%s verifies at %s: %v (%v), want %v", name, at, got, err, want)
		}
	}
}

func TestRejectsNonSlackSamples(t *testing.T) {
	if err := run([]string{"-secret", "s", "-out", t.TempDir(), "../../events/http-github-push.json"}, time.Now, &bytes.Buffer{}); err == nil {
		t.Error("re-signing a GitHub sample succeeded, want an error")
	}
	if err := run(nil, time.Now, &bytes.Buffer{}); err == nil {
		t.Error("no arguments: want a usage error")
	}
}
