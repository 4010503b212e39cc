package auth_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
)

func FuzzVerifySlack(f *testing.F) {
	body, err := readFileF("testdata/slack-docs-body.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(strconv.Itoa(slackDocsTimestamp), slackDocsSignature, body)
	f.Add("0", "v0=", []byte(""))
	f.Add("-1", "v0=zz", []byte("a=b"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(auth.HeaderSlackTimestamp, ts)
		h.Set(auth.HeaderSlackSignature, sig)
		now := time.Unix(slackDocsTimestamp, 0)
		err := auth.VerifySlack([]byte(slackDocsSecret), h, body, now, 0)
		if err == nil && !equalFold(sig, auth.SignSlack([]byte(slackDocsSecret), ts, body)) {
			t.Fatalf("accepted signature %q that is not the body's", sig)
		}
	})
}

func FuzzVerifyGitHub(f *testing.F) {
	body, err := readFileF("testdata/github-docs-body.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body, githubDocsSignature)
	f.Add([]byte("{}"), "sha256=")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := auth.VerifyGitHub([]byte(githubDocsSecret), body, header)
		if err == nil && !equalFold(header, auth.SignGitHub([]byte(githubDocsSecret), body)) {
			t.Fatalf("accepted %q for a body it does not sign", header)
		}
	})
}

func FuzzCheckAlexaCertURL(f *testing.F) {
	for _, s := range []string{
		"https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
		"https://s3.amazonaws.com:443/echo.api/../echo.api/x.pem",
		"http://s3.amazonaws.com/echo.api/x",
		"https://s3.amazonaws.com/EcHo.aPi/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := auth.CheckAlexaCertURL(raw); err != nil {
			return
		}
		// Whatever passed must really point at s3.amazonaws.com over https.
		u, err := parseURL(raw)
		if err != nil {
			t.Fatalf("accepted unparsable %q", raw)
		}
		if !equalFold(u.Hostname(), "s3.amazonaws.com") || !equalFold(u.Scheme, "https") {
			t.Fatalf("accepted %q (scheme %q, host %q)", raw, u.Scheme, u.Hostname())
		}
	})
}
