package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// GitHub and GitLab header names.
const (
	HeaderGitHubSignature = "X-Hub-Signature-256"
	HeaderGitHubEvent     = "X-GitHub-Event"
	HeaderGitHubDelivery  = "X-GitHub-Delivery"
	HeaderGitLabToken     = "X-Gitlab-Token"
	HeaderGitLabEvent     = "X-Gitlab-Event"
	HeaderGitLabEventUUID = "X-Gitlab-Event-UUID"
)

// SignGitHub returns the X-Hub-Signature-256 value GitHub sends for body:
// "sha256=" and the hex HMAC-SHA256 of the raw body under secret.
func SignGitHub(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyGitHub checks an X-Hub-Signature-256 header against the raw body.
// Only the canonical "sha256=" + 64 lower-case hex digits is accepted. A
// missing secret, a missing or malformed header, or a signature that does
// not match (compared in constant time) is an ErrUnauthorized-kind error.
func VerifyGitHub(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return release.Errorf(release.ErrUnauthorized, "github signature: no webhook secret configured")
	}
	if header == "" {
		return release.Errorf(release.ErrUnauthorized, "github signature: %s header missing", HeaderGitHubSignature)
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return release.Errorf(release.ErrUnauthorized, "github signature: %s must start with sha256=", HeaderGitHubSignature)
	}
	got, err := decodeCanonicalHex(hexSig)
	if err != nil {
		return release.Errorf(release.ErrUnauthorized, "github signature: %s %v", HeaderGitHubSignature, err)
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return release.Errorf(release.ErrUnauthorized, "github signature: %s does not match the body", HeaderGitHubSignature)
	}
	return nil
}

// VerifyGitLab checks an X-Gitlab-Token header against the configured
// secret token, in constant time. GitLab sends the token itself, not a
// signature, so TLS is what protects it in transit. A missing secret or
// header, or a different token, is an ErrUnauthorized-kind error.
func VerifyGitLab(secret []byte, header string) error {
	if len(secret) == 0 {
		return release.Errorf(release.ErrUnauthorized, "gitlab token: no webhook secret configured")
	}
	if header == "" {
		return release.Errorf(release.ErrUnauthorized, "gitlab token: %s header missing", HeaderGitLabToken)
	}
	a := sha256.Sum256(secret)
	b := sha256.Sum256([]byte(header))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return release.Errorf(release.ErrUnauthorized, "gitlab token: %s does not match", HeaderGitLabToken)
	}
	return nil
}
