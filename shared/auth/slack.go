package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
// body. A timestamp more than window (SlackWindow when zero) away from now
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
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return release.Errorf(release.ErrUnauthorized, "slack signature: %s is not 64 hex digits", HeaderSlackSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(SignSlack(secret, ts, body), "v0="))
	if !hmac.Equal(got, want) {
		return release.Errorf(release.ErrUnauthorized, "slack signature: %s does not match the body", HeaderSlackSignature)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
