package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Header names of a signed HTTP hook request.
const (
	HeaderTimestamp = "X-Shipwave-Timestamp"
	HeaderSignature = "X-Shipwave-Signature"
)

// signatureVersion prefixes every signature, so the scheme can change
// without ambiguity.
const signatureVersion = "v1="

// Sign returns the X-Shipwave-Signature value for body sent at timestamp
// (Unix seconds, decimal): "v1=" and the hex HMAC-SHA256 under secret of
// timestamp + "." + body.
func Sign(secret []byte, timestamp string, body []byte) string {
	return signatureVersion + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signed request as a hook endpoint receives it. The
// timestamp must be Unix seconds within tolerance of now, in either
// direction, or Verify returns an ErrExpired-kind error (a replayed or badly
// delayed request). signature may list several comma-separated values (as
// during a secret rotation); one "v1=" value must match, compared in
// constant time, or Verify returns an ErrUnauthorized-kind error.
func Verify(secret []byte, timestamp string, body []byte, signature string, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return release.Errorf(release.ErrUnauthorized, "verify hook signature: no secret configured")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts <= 0 {
		return release.Errorf(release.ErrUnauthorized, "verify hook signature: %s %q is not Unix seconds", HeaderTimestamp, truncate(timestamp, 32))
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew < 0 {
		skew = -skew
	}
	if skew > tolerance {
		return release.Errorf(release.ErrExpired, "verify hook signature: timestamp %d is %s away from now, beyond the %s tolerance", ts, skew.Round(time.Second), tolerance)
	}
	want := mac(secret, timestamp, body)
	for _, part := range strings.Split(signature, ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), signatureVersion)
		if !ok {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return release.Errorf(release.ErrUnauthorized, "verify hook signature: no valid %s value in %s", signatureVersion, HeaderSignature)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
