package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Slack header names.
const (
	HeaderSlackTimestamp = "X-Slack-Request-Timestamp"
	HeaderSlackSignature = "X-Slack-Signature"
)

// SlackWindow is how far a Slack request's timestamp may be from now before
// it counts as a replay, as Slack recommends.
const SlackWindow = 5 * time.Minute

// SignSlack returns the X-Slack-Signature value for body sent at timestamp
// (Unix seconds, decimal): "v0=" and the hex HMAC-SHA256 under the signing
// secret of "v0:" + timestamp + ":" + body.
func SignSlack(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySlack checks a Slack request's signature headers against its raw
// body. Only the canonical encoding is accepted: "v0=" and 64 lower-case
// hex digits, as Slack sends it, so a captured signature cannot be
// re-encoded (upper-case hex) into a "different" one. A timestamp more than window (SlackWindow when zero) away from now
// is an ErrExpired-kind error; a missing secret, missing or malformed
// headers, or a signature that does not match (constant-time compare) is an
// ErrUnauthorized-kind error. The timestamp is checked first, so a replay is
// refused even with a valid signature.
func VerifySlack(secret []byte, h http.Header, body []byte, now time.Time, window time.Duration) error {
	if window <= 0 {
		window = SlackWindow
	}
	if len(secret) == 0 {
		return release.Errorf(release.ErrUnauthorized, "slack signature: no signing secret configured")
	}
	ts := h.Get(HeaderSlackTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return release.Errorf(release.ErrUnauthorized, "slack signature: %s %q is not Unix seconds", HeaderSlackTimestamp, clip(ts))
	}
	skew := now.Sub(time.Unix(sec, 0))
	if skew < 0 {
		skew = -skew
	}
	if skew > window {
		return release.Errorf(release.ErrExpired, "slack signature: request timestamp %d is %s from now, beyond the %s replay window", sec, skew.Round(time.Second), window)
	}
	sig := h.Get(HeaderSlackSignature)
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return release.Errorf(release.ErrUnauthorized, "slack signature: %s must start with v0=", HeaderSlackSignature)
	}
	got, err := decodeCanonicalHex(hexSig)
	if err != nil {
		return release.Errorf(release.ErrUnauthorized, "slack signature: %s %v", HeaderSlackSignature, err)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(SignSlack(secret, ts, body), "v0="))
	if !hmac.Equal(got, want) {
		return release.Errorf(release.ErrUnauthorized, "slack signature: %s does not match the body", HeaderSlackSignature)
	}
	return nil
}

// SlackReplayKey identifies what a verified Slack request signed: a hash
// of its timestamp and its decoded MAC, so every spelling of one signature
// gives the same key. Call it after VerifySlack succeeded.
func SlackReplayKey(h http.Header) string {
	mac, _ := hex.DecodeString(strings.ToLower(strings.TrimPrefix(h.Get(HeaderSlackSignature), "v0=")))
	sum := sha256.New()
	sum.Write([]byte(h.Get(HeaderSlackTimestamp)))
	sum.Write([]byte{0})
	sum.Write(mac)
	return hex.EncodeToString(sum.Sum(nil)[:16])
}

// decodeCanonicalHex decodes a SHA-256 MAC written as 64 lower-case hex
// digits; any other spelling is an error.
func decodeCanonicalHex(s string) ([]byte, error) {
	if len(s) != 2*sha256.Size {
		return nil, fmt.Errorf("is not 64 hex digits")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return nil, fmt.Errorf("is not 64 lower-case hex digits")
		}
	}
	return hex.DecodeString(s)
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
