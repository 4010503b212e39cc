package local

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/shipwave/shipwave/shared/httpapi"
)

// HeaderActor labels who a request made with the stack's token is for. It
// is a label for the record, not an identity: the token is the only
// credential of the local API.
const HeaderActor = "X-Shipwave-Actor"

// TokenIdentity is the identity of whoever holds the stack's token.
const TokenIdentity = "local"

// NewToken returns a fresh random API token.
func NewToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("local API token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// guard protects the API: a browser request from another origin is
// refused (403); outside /v1 only GETs of the dashboard's static pages pass
// without the token (they hold no data: the page reads the token from its
// URL's fragment and sends it itself); every /v1 route needs the stack's
// token as "Authorization: Bearer TOKEN" (401), and a request with a body
// must say it is JSON (415, but PUT /v1/pipelines/P/spec takes YAML). Only
// then does next run, with the caller (httpapi.Caller) in the context.
func (s *Stack) guard(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(s.token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := crossSite(r); reason != "" {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": reason})
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "only GET outside /v1"})
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shipwave local"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "the local API needs the stack's token: send Authorization: Bearer TOKEN (local up prints it as `token: TOKEN` and stores it where the CLI finds it; or set SHIPWAVE_TOKEN)"})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			yaml := r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/spec") && (mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml")
			if (err != nil || mt != "application/json") && !yaml {
				writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": fmt.Sprintf("request body must be JSON (Content-Type: application/json), got %q", clipHeader(r.Header.Get("Content-Type")))})
				return
			}
		}
		c := httpapi.Caller{Name: TokenIdentity, Label: clipHeader(strings.TrimSpace(r.Header.Get(HeaderActor))), Labels: true}
		next.ServeHTTP(w, r.WithContext(httpapi.WithCaller(r.Context(), c)))
	})
}

// crossSite says why a request comes from a web page of another origin, or
// "". Browsers send Origin (and Sec-Fetch-Site) with cross-site requests;
// tools such as the CLI and curl send neither.
func crossSite(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return fmt.Sprintf("cross-site request refused (Sec-Fetch-Site: %s)", clipHeader(site))
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Sprintf("cross-site request refused: Origin %q is not this API (%s)", clipHeader(origin), r.Host)
	}
	return ""
}

func clipHeader(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
