package local

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
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

type identityKey struct{}

// Identity is who an API request authenticated as: always TokenIdentity
// (the token holder), with the label it gave (HeaderActor, or for
// compatibility the body's actor field) for the record.
type Identity struct {
	Name  string
	Label string
}

// Actor is the name recorded for the request: the label when one was
// given, else the identity.
func (id Identity) Actor() string {
	if id.Label != "" {
		return id.Label
	}
	return id.Name
}

func identityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// guard protects the /v1 routes: a browser request from another origin is
// refused (403), the stack's token is required as "Authorization: Bearer
// TOKEN" (401), and a request with a body must say it is JSON (415). Only
// then does next run, with the caller's Identity in the context.
func (s *Stack) guard(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(s.token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := crossSite(r); reason != "" {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": reason})
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
			if err != nil || mt != "application/json" {
				writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": fmt.Sprintf("request body must be JSON (Content-Type: application/json), got %q", clipHeader(r.Header.Get("Content-Type")))})
				return
			}
		}
		id := Identity{Name: TokenIdentity, Label: clipHeader(strings.TrimSpace(r.Header.Get(HeaderActor)))}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
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

// actorFor is the actor recorded for an API request: the token identity,
// or the label it gave (header first, then the body's actor field).
func actorFor(r *http.Request, bodyActor string) string {
	id, ok := identityFrom(r.Context())
	if !ok {
		return ""
	}
	if id.Label == "" && bodyActor != "" {
		id.Label = clipHeader(bodyActor)
	}
	return id.Actor()
}

// errUnauthenticated is what a handler returns if it runs without guard.
var errUnauthenticated = release.Errorf(release.ErrUnauthorized, "request is not authenticated")
