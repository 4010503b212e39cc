package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/authtest"
	"github.com/shipwave/shipwave/shared/release"
)

const skillID = "amzn1.ask.skill.0b7e3c2a-7a3c-4d1f-9d6e-5a1b2c3d4e5f"

func TestCheckAlexaCertURL(t *testing.T) {
	// The valid and invalid examples of Alexa's "Verify the signature
	// certificate URL" rules, and a few more.
	tests := []struct {
		url  string
		want error
	}{
		{url: "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"},
		{url: "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem"},
		{url: "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem"},
		{url: "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem"},
		{url: "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem"},
		{url: "http://s3.amazonaws.com/echo.api/echo-api-cert.pem", want: release.ErrUnauthorized},
		{url: "https://notamazon.com/echo.api/echo-api-cert.pem", want: release.ErrUnauthorized},
		{url: "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", want: release.ErrUnauthorized},
		{url: "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", want: release.ErrUnauthorized},
		{url: "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", want: release.ErrUnauthorized},
		{url: "https://s3.amazonaws.com/echo.api/../other/echo-api-cert.pem", want: release.ErrUnauthorized},
		{url: "https://s3.amazonaws.com.evil.example/echo.api/cert.pem", want: release.ErrUnauthorized},
		{url: "https://user@s3.amazonaws.com/echo.api/cert.pem", want: release.ErrUnauthorized},
		{url: "https://s3.amazonaws.com/echo.api", want: release.ErrUnauthorized},
		{url: "://bad", want: release.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			checkErr(t, auth.CheckAlexaCertURL(tt.url), tt.want)
		})
	}
}

func alexaBody(appID, requestID string, ts time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"1.0","session":{"new":true,"sessionId":"amzn1.echo-api.session.1","application":{"applicationId":%q},"user":{"userId":"amzn1.ask.account.TEST"}},"context":{"System":{"application":{"applicationId":%q},"user":{"userId":"amzn1.ask.account.TEST"}}},"request":{"type":"LaunchRequest","requestId":%q,"timestamp":%q,"locale":"en-US"}}`,
		appID, appID, requestID, ts.UTC().Format(time.RFC3339))
}

func TestAlexaVerify(t *testing.T) {
	ca := authtest.NewAlexaCA(t, authtest.ChainOptions{})
	other := authtest.NewAlexaCA(t, authtest.ChainOptions{}) // an untrusted root
	now := time.Now().UTC().Truncate(time.Second)
	ca.Serve("/echo.api/wrong-name.pem", ca.Chain(t, authtest.ChainOptions{Names: []string{"evil.example.com"}}, ca.Key))
	ca.Serve("/echo.api/expired.pem", ca.Chain(t, authtest.ChainOptions{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}, ca.Key))
	ca.Serve("/echo.api/untrusted.pem", other.Chain(t, authtest.ChainOptions{}, ca.Key))
	ca.Serve("/echo.api/garbage.pem", []byte("not a certificate"))
	forger := authtest.NewKey(t)
	body := alexaBody(skillID, "amzn1.echo-api.request.1", now)

	tests := []struct {
		name string
		body []byte
		h    func() http.Header
		want error
	}{
		{name: "valid", body: body, h: func() http.Header { return ca.Headers(t, body) }},
		{name: "legacy sha1 signature only", body: body, h: func() http.Header {
			h := ca.Headers(t, body)
			h.Del(auth.HeaderAlexaSignature256)
			h.Set("Signature", authtest.Sign1(t, ca.Key, body))
			return h
		}, want: release.ErrUnauthorized},
		{name: "tampered body", body: append([]byte(" "), body...), h: func() http.Header { return ca.Headers(t, body) }, want: release.ErrUnauthorized},
		{name: "forged signature", body: body, h: func() http.Header {
			h := ca.Headers(t, body)
			h.Set(auth.HeaderAlexaSignature256, authtest.Sign256(t, forger, body))
			return h
		}, want: release.ErrUnauthorized},
		{name: "signature not base64", body: body, h: func() http.Header {
			h := ca.Headers(t, body)
			h.Set(auth.HeaderAlexaSignature256, "!!!")
			return h
		}, want: release.ErrUnauthorized},
		{name: "no signature", body: body, h: func() http.Header {
			h := ca.Headers(t, body)
			h.Del(auth.HeaderAlexaSignature256)
			return h
		}, want: release.ErrUnauthorized},
		{name: "no cert url", body: body, h: func() http.Header {
			h := ca.Headers(t, body)
			h.Del(auth.HeaderAlexaCertURL)
			return h
		}, want: release.ErrUnauthorized},
		{name: "cert url off s3", body: body, h: func() http.Header {
			h := ca.Headers(t, body)
			h.Set(auth.HeaderAlexaCertURL, "https://evil.example/echo.api/echo-api-cert.pem")
			return h
		}, want: release.ErrUnauthorized},
		{name: "certificate for another name", body: body, h: withURL(t, ca, body, "/echo.api/wrong-name.pem"), want: release.ErrUnauthorized},
		{name: "expired certificate", body: body, h: withURL(t, ca, body, "/echo.api/expired.pem"), want: release.ErrUnauthorized},
		{name: "chain to an untrusted root", body: body, h: withURL(t, ca, body, "/echo.api/untrusted.pem"), want: release.ErrUnauthorized},
		{name: "not a chain", body: body, h: withURL(t, ca, body, "/echo.api/garbage.pem"), want: release.ErrUnauthorized},
		{name: "chain not found", body: body, h: withURL(t, ca, body, "/echo.api/missing.pem"), want: release.ErrUnauthorized},
		{name: "stale timestamp", body: alexaBody(skillID, "r2", now.Add(-151*time.Second)), h: func() http.Header {
			return ca.Headers(t, alexaBody(skillID, "r2", now.Add(-151*time.Second)))
		}, want: release.ErrExpired},
		{name: "timestamp 140s old", body: alexaBody(skillID, "r3", now.Add(-140*time.Second)), h: func() http.Header {
			return ca.Headers(t, alexaBody(skillID, "r3", now.Add(-140*time.Second)))
		}},
		{name: "another skill", body: alexaBody("amzn1.ask.skill.other", "r4", now), h: func() http.Header {
			return ca.Headers(t, alexaBody("amzn1.ask.skill.other", "r4", now))
		}, want: release.ErrUnauthorized},
		{name: "signed non-json", body: []byte("hello"), h: func() http.Header { return ca.Headers(t, []byte("hello")) }, want: release.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &auth.AlexaVerifier{ApplicationIDs: []string{skillID}, Roots: ca.Roots, Fetcher: ca.Fetcher(), Now: func() time.Time { return now }}
			got, err := v.Verify(context.Background(), tt.h(), tt.body)
			checkErr(t, err, tt.want)
			if err == nil && got.ApplicationID != skillID {
				t.Errorf("got application %q, want %q", got.ApplicationID, skillID)
			}
		})
	}
}

func withURL(t testing.TB, ca *authtest.AlexaCA, body []byte, path string) func() http.Header {
	return func() http.Header {
		h := ca.Headers(t, body)
		h.Set(auth.HeaderAlexaCertURL, "https://s3.amazonaws.com"+path)
		return h
	}
}

func TestAlexaVerifierCachesTheChain(t *testing.T) {
	ca := authtest.NewAlexaCA(t, authtest.ChainOptions{})
	now := time.Now()
	v := &auth.AlexaVerifier{ApplicationIDs: []string{skillID}, Roots: ca.Roots, Fetcher: ca.Fetcher(), Now: func() time.Time { return now }}
	for i := range 3 {
		body := alexaBody(skillID, fmt.Sprintf("r%d", i), now)
		if _, err := v.Verify(context.Background(), ca.Headers(t, body), body); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if got := ca.Fetches(); got != 1 {
		t.Errorf("got %d chain downloads, want 1", got)
	}
}

// TestAlexaCheapChecksFirst: a stale, foreign or malformed request is
// refused before the verifier downloads anything.
func TestAlexaCheapChecksFirst(t *testing.T) {
	ca := authtest.NewAlexaCA(t, authtest.ChainOptions{})
	now := time.Now().UTC()
	v := &auth.AlexaVerifier{ApplicationIDs: []string{skillID}, Roots: ca.Roots, Fetcher: ca.Fetcher(), Now: func() time.Time { return now }}
	for name, body := range map[string][]byte{
		"stale":         alexaBody(skillID, "r1", now.Add(-time.Hour)),
		"another skill": alexaBody("amzn1.ask.skill.other", "r2", now),
		"not json":      []byte("{"),
	} {
		if _, err := v.Verify(context.Background(), ca.Headers(t, body), body); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if got := ca.Fetches(); got != 0 {
		t.Errorf("cheap refusals made %d chain downloads, want 0", got)
	}
}

// TestAlexaCertCacheIsNormalizedAndBounded: every spelling of one URL is
// one cache entry and one download; the cache never holds more than
// CacheSize certificates.
func TestAlexaCertCacheIsNormalizedAndBounded(t *testing.T) {
	ca := authtest.NewAlexaCA(t, authtest.ChainOptions{})
	now := time.Now().UTC()
	chain := ca.Chain(t, authtest.ChainOptions{}, ca.Key)
	for i := range 4 {
		ca.Serve(fmt.Sprintf("/echo.api/c%d.pem", i), chain)
	}
	v := &auth.AlexaVerifier{ApplicationIDs: []string{skillID}, Roots: ca.Roots, Fetcher: ca.Fetcher(), Now: func() time.Time { return now }, CacheSize: 2}
	verify := func(u string, i int) {
		t.Helper()
		body := alexaBody(skillID, fmt.Sprintf("r%d", i), now)
		h := ca.Headers(t, body)
		h.Set(auth.HeaderAlexaCertURL, u)
		if _, err := v.Verify(context.Background(), h, body); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	before := ca.Fetches()
	for i, u := range []string{
		"https://s3.amazonaws.com/echo.api/c0.pem", "HTTPS://S3.AMAZONAWS.COM:443/echo.api/c0.pem",
		"https://s3.amazonaws.com/echo.api/../echo.api/c0.pem", "https://s3.amazonaws.com//echo.api/./c0.pem?x=1#y",
	} {
		verify(u, i)
	}
	if got := ca.Fetches() - before; got != 1 {
		t.Errorf("four spellings of one URL: %d downloads, want 1", got)
	}
	for i := 1; i < 4; i++ {
		verify(fmt.Sprintf("https://s3.amazonaws.com/echo.api/c%d.pem", i), 10+i)
	}
	if got := v.CachedCerts(); got != 2 {
		t.Errorf("cache holds %d certificates, want the bound 2", got)
	}
}

func TestAlexaVerifierDefaultRootsRejectTestChain(t *testing.T) {
	// With the production settings (system roots, real fetcher) the test
	// chain must not verify: only the injected roots make it acceptable.
	ca := authtest.NewAlexaCA(t, authtest.ChainOptions{})
	now := time.Now()
	v := &auth.AlexaVerifier{ApplicationIDs: []string{skillID}, Fetcher: ca.Fetcher(), Now: func() time.Time { return now }}
	body := alexaBody(skillID, "r", now)
	_, err := v.Verify(context.Background(), ca.Headers(t, body), body)
	checkErr(t, err, release.ErrUnauthorized)
}
