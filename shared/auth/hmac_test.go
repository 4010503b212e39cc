package auth_test

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/release"
)

// The example from GitHub's "Validating webhook deliveries" page.
const (
	githubDocsSecret    = "It's a Secret to Everybody"
	githubDocsSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

// The example from Slack's "Verifying requests from Slack" page.
const (
	slackDocsSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocsTimestamp = 1531420618
	slackDocsSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func TestVerifyGitHub(t *testing.T) {
	body := readFile(t, "testdata/github-docs-body.txt")
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   error
	}{
		{name: "github docs example", secret: githubDocsSecret, body: body, header: githubDocsSignature},
		{name: "signed here", secret: "s3cret", body: []byte(`{"a":1}`), header: auth.SignGitHub([]byte("s3cret"), []byte(`{"a":1}`))},
		{name: "tampered body", secret: githubDocsSecret, body: []byte("Hello, World?"), header: githubDocsSignature, want: release.ErrUnauthorized},
		{name: "wrong secret", secret: "another secret", body: body, header: githubDocsSignature, want: release.ErrUnauthorized},
		{name: "missing header", secret: githubDocsSecret, body: body, want: release.ErrUnauthorized},
		{name: "sha1 header", secret: githubDocsSecret, body: body, header: "sha1=757107ea0eb2509fc211221cce984b8a37570b6d", want: release.ErrUnauthorized},
		{name: "truncated", secret: githubDocsSecret, body: body, header: githubDocsSignature[:40], want: release.ErrUnauthorized},
		{name: "not hex", secret: githubDocsSecret, body: body, header: "sha256=" + string(make([]byte, 64)), want: release.ErrUnauthorized},
		{name: "no secret configured", secret: "", body: body, header: githubDocsSignature, want: release.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.VerifyGitHub([]byte(tt.secret), tt.body, tt.header)
			checkErr(t, err, tt.want)
		})
	}
}

func TestVerifyGitLab(t *testing.T) {
	tests := []struct {
		name, secret, header string
		want                 error
	}{
		{name: "match", secret: "glsecret", header: "glsecret"},
		{name: "different", secret: "glsecret", header: "glsecreT", want: release.ErrUnauthorized},
		{name: "prefix", secret: "glsecret", header: "glsecre", want: release.ErrUnauthorized},
		{name: "missing header", secret: "glsecret", want: release.ErrUnauthorized},
		{name: "no secret configured", header: "x", want: release.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, auth.VerifyGitLab([]byte(tt.secret), tt.header), tt.want)
		})
	}
}

func TestVerifySlack(t *testing.T) {
	body := readFile(t, "testdata/slack-docs-body.txt")
	at := time.Unix(slackDocsTimestamp, 0)
	headers := func(ts, sig string) http.Header {
		h := http.Header{}
		if ts != "" {
			h.Set(auth.HeaderSlackTimestamp, ts)
		}
		if sig != "" {
			h.Set(auth.HeaderSlackSignature, sig)
		}
		return h
	}
	ts := strconv.Itoa(slackDocsTimestamp)
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{name: "slack docs example", secret: slackDocsSecret, h: headers(ts, slackDocsSignature), body: body, now: at.Add(10 * time.Second)},
		{name: "4m59s late", secret: slackDocsSecret, h: headers(ts, slackDocsSignature), body: body, now: at.Add(299 * time.Second)},
		{name: "replayed 6 minutes later", secret: slackDocsSecret, h: headers(ts, slackDocsSignature), body: body, now: at.Add(6 * time.Minute), want: release.ErrExpired},
		{name: "from the future", secret: slackDocsSecret, h: headers(ts, slackDocsSignature), body: body, now: at.Add(-6 * time.Minute), want: release.ErrExpired},
		{name: "tampered body", secret: slackDocsSecret, h: headers(ts, slackDocsSignature), body: append([]byte("x"), body...), now: at, want: release.ErrUnauthorized},
		{name: "timestamp moved", secret: slackDocsSecret, h: headers(strconv.Itoa(slackDocsTimestamp+1), slackDocsSignature), body: body, now: at, want: release.ErrUnauthorized},
		{name: "wrong secret", secret: "another", h: headers(ts, slackDocsSignature), body: body, now: at, want: release.ErrUnauthorized},
		{name: "v1 prefix", secret: slackDocsSecret, h: headers(ts, "v1="+slackDocsSignature[3:]), body: body, now: at, want: release.ErrUnauthorized},
		{name: "no timestamp", secret: slackDocsSecret, h: headers("", slackDocsSignature), body: body, now: at, want: release.ErrUnauthorized},
		{name: "timestamp not a number", secret: slackDocsSecret, h: headers("yesterday", slackDocsSignature), body: body, now: at, want: release.ErrUnauthorized},
		{name: "no signature", secret: slackDocsSecret, h: headers(ts, ""), body: body, now: at, want: release.ErrUnauthorized},
		{name: "no secret configured", h: headers(ts, slackDocsSignature), body: body, now: at, want: release.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, auth.VerifySlack([]byte(tt.secret), tt.h, tt.body, tt.now, 0), tt.want)
		})
	}
}

func TestSignSlackMatchesDocs(t *testing.T) {
	body := readFile(t, "testdata/slack-docs-body.txt")
	if got := auth.SignSlack([]byte(slackDocsSecret), strconv.Itoa(slackDocsTimestamp), body); got != slackDocsSignature {
		t.Errorf("SignSlack = %s, want %s", got, slackDocsSignature)
	}
}

func checkErr(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("got error %v, want none", err)
	case want != nil && err == nil:
		t.Fatalf("got no error, want %v", want)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("got error %v, want kind %v", err, want)
	}
}
