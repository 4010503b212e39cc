package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Alexa header names and rules.
const (
	HeaderAlexaCertURL      = "SignatureCertChainUrl"
	HeaderAlexaSignature256 = "Signature-256"
	// AlexaSigningName is the subject alternative name the signing
	// certificate must carry.
	AlexaSigningName = "echo-api.amazon.com"
	// AlexaTolerance is how far a request's timestamp may be from now.
	AlexaTolerance = 150 * time.Second
	// maxChainBytes bounds the certificate chain download.
	maxChainBytes = 64 << 10
	// DefaultFetchTimeout bounds one certificate chain download.
	DefaultFetchTimeout = 5 * time.Second
	// DefaultCertCacheSize is how many verified signing certificates the
	// verifier keeps (least recently used first out).
	DefaultCertCacheSize = 8
)

// CheckAlexaCertURL applies Alexa's rules to a SignatureCertChainUrl: the
// scheme is https (any case), the host s3.amazonaws.com (any case), the
// port 443 when given, and the path, once normalized, starts with
// /echo.api/ (case-sensitive). It returns an ErrUnauthorized-kind error
// naming the broken rule.
func CheckAlexaCertURL(raw string) error {
	_, err := NormalizeAlexaCertURL(raw)
	return err
}

// NormalizeAlexaCertURL checks raw like CheckAlexaCertURL and returns its
// one canonical spelling: https://s3.amazonaws.com and the cleaned path
// (no port, no query, no fragment). Every spelling of one chain's URL gives
// the same string, which is what the verifier fetches and caches.
func NormalizeAlexaCertURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", release.Errorf(release.ErrUnauthorized, "alexa cert url %q: %v", clip(raw), err)
	}
	switch {
	case !strings.EqualFold(u.Scheme, "https"):
		return "", release.Errorf(release.ErrUnauthorized, "alexa cert url %q: scheme must be https", clip(raw))
	case !strings.EqualFold(u.Hostname(), "s3.amazonaws.com"):
		return "", release.Errorf(release.ErrUnauthorized, "alexa cert url %q: host must be s3.amazonaws.com", clip(raw))
	case u.Port() != "" && u.Port() != "443":
		return "", release.Errorf(release.ErrUnauthorized, "alexa cert url %q: port must be 443", clip(raw))
	case u.User != nil:
		return "", release.Errorf(release.ErrUnauthorized, "alexa cert url %q: must not carry user information", clip(raw))
	}
	clean := path.Clean("/" + u.Path)
	if !strings.HasPrefix(clean, "/echo.api/") {
		return "", release.Errorf(release.ErrUnauthorized, "alexa cert url %q: path must start with /echo.api/", clip(raw))
	}
	return (&url.URL{Scheme: "https", Host: "s3.amazonaws.com", Path: clean}).String(), nil
}

// CertFetcher downloads a PEM certificate chain.
type CertFetcher interface {
	// Fetch returns the body at url or an error.
	Fetch(ctx context.Context, url string) ([]byte, error)
}

// HTTPFetcher fetches certificate chains over HTTPS with Client (when nil,
// a client with a DefaultFetchTimeout timeout). A Client without a timeout
// still gets one: the request's context is bounded by DefaultFetchTimeout.
type HTTPFetcher struct {
	Client *http.Client
}

var defaultFetchClient = &http.Client{Timeout: DefaultFetchTimeout}

// Fetch GETs url and returns its body, at most 64 KiB.
func (f HTTPFetcher) Fetch(ctx context.Context, u string) ([]byte, error) {
	c := f.Client
	if c == nil {
		c = defaultFetchClient
	}
	if c.Timeout <= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultFetchTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxChainBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxChainBytes {
		return nil, fmt.Errorf("GET %s: chain larger than %d bytes", u, maxChainBytes)
	}
	return b, nil
}

// AlexaVerifier verifies requests sent to an Alexa skill endpoint. Roots nil
// means the system roots; Fetcher nil means HTTPFetcher{}; Now defaults to
// time.Now. ApplicationIDs lists the skill ids accepted; empty accepts none.
// CacheSize bounds the verified certificates kept (DefaultCertCacheSize
// when zero).
type AlexaVerifier struct {
	ApplicationIDs []string
	Roots          *x509.CertPool
	Fetcher        CertFetcher
	Now            func() time.Time
	CacheSize      int

	mu    sync.Mutex
	certs map[string]*x509.Certificate // verified signing certs by normalized URL
	order []string                     // cache keys, least recently used first
}

// AlexaRequest is what the verifier reads from a verified body.
type AlexaRequest struct {
	ApplicationID string
	RequestID     string
	Type          string
	Timestamp     time.Time
}

type alexaEnvelope struct {
	Session struct {
		Application struct {
			ApplicationID string `json:"applicationId"`
		} `json:"application"`
	} `json:"session"`
	Context struct {
		System struct {
			Application struct {
				ApplicationID string `json:"applicationId"`
			} `json:"application"`
		} `json:"System"`
	} `json:"context"`
	Request struct {
		Type      string `json:"type"`
		RequestID string `json:"requestId"`
		Timestamp string `json:"timestamp"`
	} `json:"request"`
}

// Verify checks an Alexa request, cheapest checks first, before any meaning
// is read from the body: the certificate URL rules and the Signature-256
// header's form; then the request's timestamp (within 150 s of now) and
// application id, read from the unverified body; only then is the
// certificate chain fetched (or taken from the cache) and verified (to
// Roots, valid now, signing certificate named echo-api.amazon.com), and the
// RSA-SHA256 signature of the raw body checked. The legacy SHA-1 Signature
// header is not accepted. Failures are ErrUnauthorized-kind errors, a
// stale timestamp ErrExpired.
func (v *AlexaVerifier) Verify(ctx context.Context, h http.Header, body []byte) (AlexaRequest, error) {
	certURL := h.Get(HeaderAlexaCertURL)
	if certURL == "" {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: %s header missing", HeaderAlexaCertURL)
	}
	key, err := NormalizeAlexaCertURL(certURL)
	if err != nil {
		return AlexaRequest{}, err
	}
	sigValue := h.Get(HeaderAlexaSignature256)
	if sigValue == "" {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: %s header missing (the SHA-1 Signature header is not accepted)", HeaderAlexaSignature256)
	}
	sig, err := base64.StdEncoding.DecodeString(sigValue)
	if err != nil {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: %s is not base64", HeaderAlexaSignature256)
	}
	// Cheap checks on the claimed envelope before any fetch: a stale or
	// foreign request never makes the verifier download anything.
	var env alexaEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: body is not a JSON request: %v", err)
	}
	ts, err := time.Parse(time.RFC3339, env.Request.Timestamp)
	if err != nil {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: request.timestamp %q is not an ISO 8601 time", clip(env.Request.Timestamp))
	}
	skew := v.now().Sub(ts)
	if skew < 0 {
		skew = -skew
	}
	if skew > AlexaTolerance {
		return AlexaRequest{}, release.Errorf(release.ErrExpired, "alexa: request.timestamp %s is %s from now, beyond %s", env.Request.Timestamp, skew.Round(time.Second), AlexaTolerance)
	}
	appID := env.Context.System.Application.ApplicationID
	if appID == "" {
		appID = env.Session.Application.ApplicationID
	}
	if !slices.Contains(v.ApplicationIDs, appID) {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: application id %q is not this skill", clip(appID))
	}
	cert, err := v.signingCert(ctx, key)
	if err != nil {
		return AlexaRequest{}, err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: signing certificate key is not RSA")
	}
	digest := sha256.Sum256(body)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return AlexaRequest{}, release.Errorf(release.ErrUnauthorized, "alexa: %s does not match the body", HeaderAlexaSignature256)
	}
	return AlexaRequest{ApplicationID: appID, RequestID: env.Request.RequestID, Type: env.Request.Type, Timestamp: ts}, nil
}

// signingCert returns the verified signing certificate at the normalized
// URL key, from the cache while it is within its validity. The cache holds
// at most CacheSize certificates, evicting the least recently used.
func (v *AlexaVerifier) signingCert(ctx context.Context, key string) (*x509.Certificate, error) {
	now := v.now()
	v.mu.Lock()
	c := v.certs[key]
	if c != nil {
		v.touch(key)
	}
	v.mu.Unlock()
	if c != nil && now.After(c.NotBefore) && now.Before(c.NotAfter) {
		return c, nil
	}
	fetcher := v.Fetcher
	if fetcher == nil {
		fetcher = HTTPFetcher{}
	}
	data, err := fetcher.Fetch(ctx, key)
	if err != nil {
		return nil, release.Errorf(release.ErrUnauthorized, "alexa: fetch certificate chain: %w", err)
	}
	c, err = VerifyAlexaChain(data, v.Roots, now)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.certs == nil {
		v.certs = map[string]*x509.Certificate{}
	}
	v.certs[key] = c
	v.touch(key)
	size := v.CacheSize
	if size <= 0 {
		size = DefaultCertCacheSize
	}
	for len(v.order) > size {
		delete(v.certs, v.order[0])
		v.order = v.order[1:]
	}
	return c, nil
}

// touch moves key to the most recently used end; v.mu is held.
func (v *AlexaVerifier) touch(key string) {
	if i := slices.Index(v.order, key); i >= 0 {
		v.order = slices.Delete(v.order, i, i+1)
	}
	v.order = append(v.order, key)
}

// CachedCerts reports how many signing certificates the verifier holds.
func (v *AlexaVerifier) CachedCerts() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.certs)
}

// VerifyAlexaChain parses a PEM chain (signing certificate first, then
// intermediates) and checks that the signing certificate is valid at now,
// names echo-api.amazon.com and chains to roots (the system roots when
// nil). It returns the signing certificate or an ErrUnauthorized-kind error.
func VerifyAlexaChain(data []byte, roots *x509.CertPool, now time.Time) (*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, release.Errorf(release.ErrUnauthorized, "alexa: certificate %d of the chain: %v", len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, release.Errorf(release.ErrUnauthorized, "alexa: certificate chain holds no PEM certificate")
	}
	leaf := certs[0]
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, release.Errorf(release.ErrUnauthorized, "alexa: signing certificate is valid %s to %s, not now (%s)",
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !slices.Contains(leaf.DNSNames, AlexaSigningName) {
		return nil, release.Errorf(release.ErrUnauthorized, "alexa: signing certificate does not name %s (names %v)", AlexaSigningName, leaf.DNSNames)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       AlexaSigningName,
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, release.Errorf(release.ErrUnauthorized, "alexa: certificate chain does not verify: %v", err)
	}
	return leaf, nil
}

func (v *AlexaVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}
