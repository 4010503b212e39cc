package signproxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/signproxy"
)

func TestProxySignsAndServesTheDashboard(t *testing.T) {
	var seen *http.Request
	var seenBody string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen, seenBody = r, string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer api.Close()
	up, _ := url.Parse(api.URL + "/prod")
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>page")) })
	var signedURL string
	proxy := httptest.NewServer(signproxy.Handler(up, dash, func(r *http.Request, body []byte) error {
		signedURL = r.URL.String()
		r.Header.Set("Authorization", "SIGNED "+string(body))
		return nil
	}))
	defer proxy.Close()

	resp, err := http.Get(proxy.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "page") {
		t.Errorf("GET / = %q, want the dashboard", b)
	}

	req, _ := http.NewRequest(http.MethodPost, proxy.URL+"/v1/releases/r1/promote?x=1", strings.NewReader(`{"reason":"r"}`))
	req.Header.Set("Authorization", "Bearer browser")
	req.Header.Set("Cookie", "c=1")
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || seen == nil {
		t.Fatalf("POST through the proxy = %d, upstream saw %v", resp.StatusCode, seen)
	}
	if seen.URL.Path != "/prod/v1/releases/r1/promote" || seen.URL.RawQuery != "x=1" || seenBody != `{"reason":"r"}` {
		t.Errorf("upstream saw %s %s?%s %q", seen.Method, seen.URL.Path, seen.URL.RawQuery, seenBody)
	}
	if got := seen.Header.Get("Authorization"); got != `SIGNED {"reason":"r"}` || seen.Header.Get("Cookie") != "" {
		t.Errorf("upstream Authorization %q Cookie %q: want the proxy's signature and no cookie", got, seen.Header.Get("Cookie"))
	}
	if !strings.HasPrefix(signedURL, api.URL+"/prod/v1/") {
		t.Errorf("signed URL %s, want the upstream's", signedURL)
	}

	req, _ = http.NewRequest(http.MethodGet, proxy.URL+"/v1/info", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site request = %d, want 403", resp.StatusCode)
	}
}
