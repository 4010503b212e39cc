package hooks_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/release"
)

func TestSignKnownVector(t *testing.T) {
	// Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
	got := hooks.Sign([]byte("secret"), "1700000000", []byte(`{"a":1}`))
	want := "v1=" + opensslVector
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("hook-secret")
	body := []byte(`{"releaseId":"rel-1"}`)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := hooks.Sign(secret, ts, body)
	tests := []struct {
		name      string
		secret    []byte
		timestamp string
		body      []byte
		signature string
		now       time.Time
		wantKind  error
	}{
		{name: "valid", secret: secret, timestamp: ts, body: body, signature: good, now: now},
		{name: "valid within tolerance", secret: secret, timestamp: ts, body: body, signature: good, now: now.Add(299 * time.Second)},
		{name: "one of several", secret: secret, timestamp: ts, body: body, signature: "v1=00ff, " + good, now: now},
		{name: "tampered body", secret: secret, timestamp: ts, body: []byte(`{"releaseId":"rel-2"}`), signature: good, now: now, wantKind: release.ErrUnauthorized},
		{name: "wrong secret", secret: []byte("other"), timestamp: ts, body: body, signature: good, now: now, wantKind: release.ErrUnauthorized},
		{name: "timestamp swapped", secret: secret, timestamp: strconv.FormatInt(now.Unix()-1, 10), body: body, signature: good, now: now, wantKind: release.ErrUnauthorized},
		{name: "replayed later", secret: secret, timestamp: ts, body: body, signature: good, now: now.Add(301 * time.Second), wantKind: release.ErrExpired},
		{name: "from the future", secret: secret, timestamp: ts, body: body, signature: good, now: now.Add(-10 * time.Minute), wantKind: release.ErrExpired},
		{name: "timestamp not a number", secret: secret, timestamp: "yesterday", body: body, signature: good, now: now, wantKind: release.ErrUnauthorized},
		{name: "no version prefix", secret: secret, timestamp: ts, body: body, signature: good[3:], now: now, wantKind: release.ErrUnauthorized},
		{name: "not hex", secret: secret, timestamp: ts, body: body, signature: "v1=zz", now: now, wantKind: release.ErrUnauthorized},
		{name: "empty signature", secret: secret, timestamp: ts, body: body, signature: "", now: now, wantKind: release.ErrUnauthorized},
		{name: "no secret", secret: nil, timestamp: ts, body: body, signature: good, now: now, wantKind: release.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := hooks.Verify(tt.secret, tt.timestamp, tt.body, tt.signature, tt.now, 5*time.Minute)
			if tt.wantKind == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantKind) {
				t.Errorf("Verify = %v, want kind %v", err, tt.wantKind)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	secret := []byte("fuzz-secret")
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	f.Add(ts, []byte(`{"a":1}`), hooks.Sign(secret, ts, []byte(`{"a":1}`)))
	f.Add("1800000001", []byte(""), "v1=")
	f.Add("-5", []byte("x"), "v1=00,v1=zz,,")
	f.Fuzz(func(t *testing.T, timestamp string, body []byte, signature string) {
		err := hooks.Verify(secret, timestamp, body, signature, now, 5*time.Minute)
		if err == nil {
			want := hooks.Sign(secret, timestamp, body)
			found := false
			for _, part := range strings.Split(signature, ",") {
				if strings.EqualFold(strings.TrimSpace(part), want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("accepted %q for timestamp %q, which does not carry the valid MAC %s", signature, timestamp, want)
			}
		}
		if err != nil && !errors.Is(err, release.ErrUnauthorized) && !errors.Is(err, release.ErrExpired) {
			t.Fatalf("Verify error %v has no kind", err)
		}
		// A request we signed ourselves always verifies when fresh.
		if n, perr := strconv.ParseInt(timestamp, 10, 64); perr == nil && n > 0 && n == now.Unix() {
			if err := hooks.Verify(secret, timestamp, body, hooks.Sign(secret, timestamp, body), now, 5*time.Minute); err != nil {
				t.Fatalf("own signature rejected: %v", err)
			}
		}
	})
}

// opensslVector is the HMAC-SHA256 hex of '1700000000.{"a":1}' under "secret".
const opensslVector = "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
