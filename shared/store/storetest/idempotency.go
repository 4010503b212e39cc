package storetest

import (
	"github.com/shipwave/shipwave/shared/release"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testClaimIdempotencyKey(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	steps := []struct {
		name         string
		advance      time.Duration
		key, value   string
		ttl          time.Duration
		wantClaimed  bool
		wantExisting string
		wantErr      error
	}{
		{name: "first claim", key: "delivery-1", value: "rel-1", ttl: time.Hour, wantClaimed: true},
		{name: "replay", advance: 59 * time.Minute, key: "delivery-1", value: "rel-2", ttl: time.Hour, wantExisting: "rel-1"},
		{name: "other key", key: "delivery-2", value: "rel-3", ttl: time.Hour, wantClaimed: true},
		{name: "after expiry", advance: time.Minute, key: "delivery-1", value: "rel-4", ttl: time.Hour, wantClaimed: true},
		{name: "replay of the new claim", key: "delivery-1", value: "rel-5", ttl: time.Hour, wantExisting: "rel-4"},
		{name: "empty value", key: "delivery-3", value: "", ttl: time.Minute, wantClaimed: true},
		{name: "replay of empty value", key: "delivery-3", value: "x", ttl: time.Minute, wantExisting: ""},
		{name: "empty key", key: "", value: "v", ttl: time.Hour, wantErr: release.ErrInvalid},
		{name: "huge key", key: strings.Repeat("k", 2000), value: "v", ttl: time.Hour, wantErr: release.ErrInvalid},
		{name: "no ttl", key: "delivery-4", value: "v", ttl: 0, wantErr: release.ErrInvalid},
		{name: "rejected key was not stored", key: "delivery-4", value: "w", ttl: time.Hour, wantClaimed: true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clock.Advance(st.advance)
			existing, claimed, err := e.store.ClaimIdempotencyKey(ctx, st.key, st.value, st.ttl)
			WantKind(t, "ClaimIdempotencyKey", err, st.wantErr)
			if claimed != st.wantClaimed || existing != st.wantExisting {
				t.Errorf("ClaimIdempotencyKey(%.20s, %s) = %q, %v; want %q, %v", st.key, st.value, existing, claimed, st.wantExisting, st.wantClaimed)
			}
		})
	}
}

func testClaimIdempotencyKeyConcurrent(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	const callers = 30
	var claims atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			<-start
			existing, claimed, err := e.store.ClaimIdempotencyKey(ctx, "k", "first", time.Hour)
			switch {
			case err != nil:
				t.Errorf("ClaimIdempotencyKey: %v", err)
			case claimed:
				claims.Add(1)
			case existing != "first":
				t.Errorf("existing = %q, want %q", existing, "first")
			}
		})
	}
	close(start)
	wg.Wait()
	if claims.Load() != 1 {
		t.Errorf("%d callers claimed the key, want exactly 1", claims.Load())
	}
}
