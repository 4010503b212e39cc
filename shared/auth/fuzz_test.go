package auth_test

import (
	"context"
	"encoding/json"
	"errors"
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
		// Only the canonical spelling passes: a re-encoded signature would
		// be a second "unique" one for the replay guard.
		if err == nil && sig != auth.SignSlack([]byte(slackDocsSecret), ts, body) {
			t.Fatalf("accepted signature %q that is not the body's canonical one", sig)
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
		if err == nil && header != auth.SignGitHub([]byte(githubDocsSecret), body) {
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
		// The normalized form passes too and is its own normal form.
		n, err := auth.NormalizeAlexaCertURL(raw)
		if err != nil {
			t.Fatalf("normalize %q: %v", raw, err)
		}
		if n2, err := auth.NormalizeAlexaCertURL(n); err != nil || n2 != n {
			t.Fatalf("normalized %q to %q, which normalizes to %q, %v", raw, n, n2, err)
		}
	})
}

// countingFetcher counts downloads and serves nothing.
type countingFetcher struct{ n int }

func (c *countingFetcher) Fetch(context.Context, string) ([]byte, error) {
	c.n++
	return nil, errors.New("no chain here")
}

// FuzzVerifyAlexa: any headers and body are refused without a valid chain,
// never panic, and a body whose timestamp or application id is wrong never
// makes the verifier download anything.
func FuzzVerifyAlexa(f *testing.F) {
	now := time.Unix(1_800_000_000, 0).UTC()
	f.Add("https://s3.amazonaws.com/echo.api/echo-api-cert.pem", "c2ln", alexaBody(skillID, "r1", now))
	f.Add("https://s3.amazonaws.com/echo.api/x.pem", "!!", []byte(`{"request":{"timestamp":"x"}}`))
	f.Add("", "", []byte("{"))
	fetcher := &countingFetcher{}
	v := &auth.AlexaVerifier{ApplicationIDs: []string{skillID}, Fetcher: fetcher, Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, certURL, sig string, body []byte) {
		h := http.Header{}
		h.Set(auth.HeaderAlexaCertURL, certURL)
		h.Set(auth.HeaderAlexaSignature256, sig)
		before := fetcher.n
		if _, err := v.Verify(context.Background(), h, body); err == nil {
			t.Fatalf("verified without a certificate chain")
		}
		var env struct {
			Context struct {
				System struct {
					Application struct {
						ApplicationID string `json:"applicationId"`
					} `json:"application"`
				} `json:"System"`
			} `json:"context"`
			Session struct {
				Application struct {
					ApplicationID string `json:"applicationId"`
				} `json:"application"`
			} `json:"session"`
			Request struct {
				Timestamp string `json:"timestamp"`
			} `json:"request"`
		}
		fresh := false
		if json.Unmarshal(body, &env) == nil {
			if ts, err := time.Parse(time.RFC3339, env.Request.Timestamp); err == nil {
				d := now.Sub(ts)
				fresh = d <= auth.AlexaTolerance && d >= -auth.AlexaTolerance
			}
			id := env.Context.System.Application.ApplicationID
			if id == "" {
				id = env.Session.Application.ApplicationID
			}
			fresh = fresh && id == skillID
		}
		if !fresh && fetcher.n != before {
			t.Fatalf("a stale or foreign body made the verifier fetch a chain")
		}
	})
}
