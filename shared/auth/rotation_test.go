package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/release"
)

// versionedSource is a rotating secret: current, pending and previous
// values, and a count of reads.
type versionedSource struct {
	mu       sync.Mutex
	versions [][]byte
	reads    int
}

func (s *versionedSource) Secret(_ context.Context, _ string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return s.versions[0], nil
}

func (s *versionedSource) SecretVersions(_ context.Context, _ string) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return append([][]byte(nil), s.versions...), nil
}

func (s *versionedSource) set(vs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = nil
	for _, v := range vs {
		s.versions = append(s.versions, []byte(v))
	}
}

func TestVerifyWithSecretDuringRotation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	src := &versionedSource{}
	src.set("current", "pending", "previous")
	cache := &auth.Cache{Source: src, TTL: time.Hour, RefreshEvery: time.Minute, Now: func() time.Time { return now }}
	body := []byte("token=x&text=status")
	verify := func(signedWith string) error {
		h := http.Header{}
		ts := strconv.FormatInt(now.Unix(), 10)
		h.Set(auth.HeaderSlackTimestamp, ts)
		h.Set(auth.HeaderSlackSignature, auth.SignSlack([]byte(signedWith), ts, body))
		return auth.VerifyWithSecret(context.Background(), cache, "slack", func(s []byte) error {
			return auth.VerifySlack(s, h, body, now, 0)
		})
	}
	for _, v := range []string{"current", "pending", "previous"} {
		if err := verify(v); err != nil {
			t.Errorf("signed with the %s version: %v", v, err)
		}
	}
	if src.reads != 1 {
		t.Errorf("three requests read the secret %d times, want 1 (cached)", src.reads)
	}

	// Rotated while cached: the first request under the new value refetches
	// once and verifies.
	src.set("rotated", "current")
	if err := verify("rotated"); err != nil {
		t.Fatalf("signed with the rotated value: %v", err)
	}
	if src.reads != 2 {
		t.Errorf("got %d reads, want one refetch", src.reads)
	}
	// Forged requests do not refetch more than once a minute.
	for range 5 {
		if err := verify("forged"); !errors.Is(err, release.ErrUnauthorized) {
			t.Fatalf("forged: %v", err)
		}
	}
	if src.reads != 2 {
		t.Errorf("forged requests made %d reads, want none within the refresh interval", src.reads-2)
	}
	now = now.Add(2 * time.Minute)
	_ = verify("forged")
	if src.reads != 3 {
		t.Errorf("after the interval: %d reads, want one more", src.reads)
	}
	// A stale request never refetches.
	now = now.Add(2 * time.Minute)
	h := http.Header{}
	h.Set(auth.HeaderSlackTimestamp, strconv.FormatInt(now.Add(-time.Hour).Unix(), 10))
	h.Set(auth.HeaderSlackSignature, "v0="+string(make([]byte, 0)))
	err := auth.VerifyWithSecret(context.Background(), cache, "slack", func(s []byte) error { return auth.VerifySlack(s, h, body, now, 0) })
	if !errors.Is(err, release.ErrExpired) || src.reads != 3 {
		t.Errorf("stale: %v after %d reads, want ErrExpired and no read", err, src.reads)
	}
}

func TestVerifyWithSecretUnavailable(t *testing.T) {
	err := auth.VerifyWithSecret(context.Background(), auth.Static{}, "missing", func([]byte) error { return nil })
	var se *auth.SecretError
	if !errors.As(err, &se) || !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("got %v, want a SecretError wrapping ErrNotFound", err)
	}
}
