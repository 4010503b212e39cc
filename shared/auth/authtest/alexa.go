package authtest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
)

// ChainOptions shape the signing certificate an AlexaCA issues.
type ChainOptions struct {
	// Names are the signing certificate's DNS names; default
	// echo-api.amazon.com.
	Names []string
	// NotBefore and NotAfter bound its validity; default an hour ago to a
	// day from now.
	NotBefore, NotAfter time.Time
}

// AlexaCA is a test root and intermediate CA with a signing certificate,
// its chain served over HTTPS on loopback at CertURL
// (https://s3.amazonaws.com/echo.api/echo-api-cert.pem) through Client.
type AlexaCA struct {
	// Roots trusts the test root only.
	Roots *x509.CertPool
	// Client reaches the loopback server for any host, trusting its
	// certificate (issued to s3.amazonaws.com by the test root).
	Client *http.Client
	// CertURL is where the chain is served; it passes the real URL rules.
	CertURL string
	// Key signs requests.
	Key *rsa.PrivateKey
	// Fetches counts chain downloads.
	Fetches func() int

	root, inter       *x509.Certificate
	rootKey, interKey *rsa.PrivateKey
	mu                sync.Mutex
	chain             map[string][]byte // path → PEM
	fetches           int
}

// NewAlexaCA generates the CA and starts its server, closed when t ends.
func NewAlexaCA(t testing.TB, opts ChainOptions) *AlexaCA {
	t.Helper()
	a := &AlexaCA{chain: map[string][]byte{}}
	a.Fetches = func() int { a.mu.Lock(); defer a.mu.Unlock(); return a.fetches }
	now := time.Now()
	a.rootKey = newKey(t)
	a.root = issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "Shipwave Test Root"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
	}, nil, &a.rootKey.PublicKey, a.rootKey)
	a.interKey = newKey(t)
	a.inter = issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "Shipwave Test Intermediate"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
	}, a.root, &a.interKey.PublicKey, a.rootKey)
	a.Roots = x509.NewCertPool()
	a.Roots.AddCert(a.root)
	a.Key = newKey(t)
	a.Serve("/echo.api/echo-api-cert.pem", a.Chain(t, opts, a.Key))
	a.CertURL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"

	serverKey := newKey(t)
	serverCert := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "s3.amazonaws.com"}, DNSNames: []string{"s3.amazonaws.com"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
	}, a.root, &serverKey.PublicKey, a.rootKey)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		body, ok := a.chain[r.URL.Path]
		a.fetches++
		a.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(body)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{serverCert.Raw, a.root.Raw}, PrivateKey: serverKey}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	a.Client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: a.Roots},
	}}
	return a
}

// Fetcher returns an auth.HTTPFetcher that uses a.Client.
func (a *AlexaCA) Fetcher() auth.CertFetcher { return auth.HTTPFetcher{Client: a.Client} }

// Serve publishes pem at path on the CA's server.
func (a *AlexaCA) Serve(path string, pem []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.chain[path] = pem
}

// Chain issues a signing certificate for key with opts from the
// intermediate and returns the PEM chain: signing certificate, then
// intermediate.
func (a *AlexaCA) Chain(t testing.TB, opts ChainOptions, key *rsa.PrivateKey) []byte {
	t.Helper()
	if opts.Names == nil {
		opts.Names = []string{auth.AlexaSigningName}
	}
	if opts.NotBefore.IsZero() {
		opts.NotBefore = time.Now().Add(-time.Hour)
	}
	if opts.NotAfter.IsZero() {
		opts.NotAfter = time.Now().Add(24 * time.Hour)
	}
	leaf := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "echo-api.amazon.com"}, DNSNames: opts.Names,
		KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: opts.NotBefore, NotAfter: opts.NotAfter,
	}, a.inter, &key.PublicKey, a.interKey)
	var b strings.Builder
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: a.inter.Raw})
	return []byte(b.String())
}

// Headers returns the headers Alexa sends with body: the chain URL and the
// base64 RSA-SHA256 Signature-256 of body under a.Key.
func (a *AlexaCA) Headers(t testing.TB, body []byte) http.Header {
	t.Helper()
	h := http.Header{}
	h.Set(auth.HeaderAlexaCertURL, a.CertURL)
	h.Set(auth.HeaderAlexaSignature256, Sign256(t, a.Key, body))
	return h
}

// Sign256 returns the base64 RSA-SHA256 PKCS#1 v1.5 signature of body.
func Sign256(t testing.TB, key *rsa.PrivateKey, body []byte) string {
	t.Helper()
	d := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// Sign1 returns the base64 RSA-SHA1 signature of body (the legacy header).
func Sign1(t testing.TB, key *rsa.PrivateKey, body []byte) string {
	t.Helper()
	d := sha1.Sum(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, d[:])
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// NewKey generates a 2048-bit RSA key.
func NewKey(t testing.TB) *rsa.PrivateKey { t.Helper(); return newKey(t) }

func newKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return k
}

func issue(t testing.TB, tmpl, parent *x509.Certificate, pub *rsa.PublicKey, signer *rsa.PrivateKey) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("serial: %v", err)
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return c
}

// RootPEM returns the CA's root certificate as PEM, for a trust-roots file.
func (a *AlexaCA) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.root.Raw})
}
