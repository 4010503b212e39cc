package storetest

import (
	"errors"
	"fmt"
	"github.com/shipwave/shipwave/shared/release"
	"sync"
	"testing"
	"time"
)

// testLockLifecycle walks one target's lock through acquisition, renewal,
// expiry and takeover (invariant 3) with an injected clock.
func testLockLifecycle(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	const target = "orders-live"
	type op func() (release.Lock, error)
	acquire := func(owner string, lease time.Duration) op {
		return func() (release.Lock, error) { return e.store.AcquireLock(ctx, target, owner, lease) }
	}
	renew := func(owner string, lease time.Duration) op {
		return func() (release.Lock, error) { return e.store.RenewLock(ctx, target, owner, lease) }
	}
	releaseBy := func(owner string) op {
		return func() (release.Lock, error) { return release.Lock{}, e.store.ReleaseLock(ctx, target, owner) }
	}
	get := func() (release.Lock, error) { return e.store.GetLock(ctx, target) }

	steps := []struct {
		name      string
		advance   time.Duration
		do        op
		wantErr   error
		wantOwner string // of the stored lock afterwards; "" means free
		wantFence int64
		wantLease time.Duration // stored expiry minus now
	}{
		{name: "free lock is not found", do: get, wantErr: release.ErrNotFound},
		{name: "renewing a free lock", do: renew("rel-a", time.Minute), wantErr: release.ErrNotFound},
		{name: "a acquires", do: acquire("rel-a", time.Minute), wantOwner: "rel-a", wantFence: 1, wantLease: time.Minute},
		{name: "b is locked out", advance: 10 * time.Second, do: acquire("rel-b", time.Minute), wantErr: release.ErrLocked, wantOwner: "rel-a", wantFence: 1, wantLease: 50 * time.Second},
		{name: "a acquires again and renews", do: acquire("rel-a", time.Minute), wantOwner: "rel-a", wantFence: 1, wantLease: time.Minute},
		{name: "a renews", advance: 30 * time.Second, do: renew("rel-a", 2*time.Minute), wantOwner: "rel-a", wantFence: 1, wantLease: 2 * time.Minute},
		{name: "b cannot renew a's lock", do: renew("rel-b", time.Minute), wantErr: release.ErrLocked, wantOwner: "rel-a", wantFence: 1, wantLease: 2 * time.Minute},
		{name: "b cannot release a's lock", do: releaseBy("rel-b"), wantErr: release.ErrLocked, wantOwner: "rel-a", wantFence: 1, wantLease: 2 * time.Minute},
		{name: "a's lease runs out and b takes over", advance: 2 * time.Minute, do: acquire("rel-b", time.Minute), wantOwner: "rel-b", wantFence: 2, wantLease: time.Minute},
		{name: "a cannot renew after takeover", do: renew("rel-a", time.Minute), wantErr: release.ErrLocked, wantOwner: "rel-b", wantFence: 2, wantLease: time.Minute},
		{name: "b's own lease runs out", advance: time.Minute, do: renew("rel-b", time.Minute), wantErr: release.ErrExpired, wantOwner: "rel-b", wantFence: 2},
		{name: "b takes its expired lock again", do: acquire("rel-b", time.Minute), wantOwner: "rel-b", wantFence: 3, wantLease: time.Minute},
		{name: "b releases", do: releaseBy("rel-b"), wantOwner: "", wantFence: 3},
		{name: "releasing again says it is not held", do: releaseBy("rel-b"), wantErr: release.ErrNotFound, wantOwner: ""},
		{name: "a acquires the released lock with a higher fence", do: acquire("rel-a", time.Minute), wantOwner: "rel-a", wantFence: 4, wantLease: time.Minute},
		{name: "zero lease", do: acquire("rel-c", 0), wantErr: release.ErrInvalid, wantOwner: "rel-a", wantFence: 4, wantLease: time.Minute},
		{name: "no owner", do: acquire("", time.Minute), wantErr: release.ErrInvalid, wantOwner: "rel-a", wantFence: 4, wantLease: time.Minute},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clock.Advance(st.advance)
			got, err := st.do()
			WantKind(t, st.name, err, st.wantErr)
			if st.wantErr == nil && got.Owner != "" && (got.Owner != st.wantOwner || got.Fence != st.wantFence || !got.ExpiresAt.Equal(e.clock.Now().Add(st.wantLease))) {
				t.Errorf("returned lock %+v, want owner %s fence %d expiring %s", got, st.wantOwner, st.wantFence, e.clock.Now().Add(st.wantLease))
			}
			stored, err := e.store.GetLock(ctx, target)
			if st.wantOwner == "" {
				if !errors.Is(err, release.ErrNotFound) {
					t.Errorf("GetLock = %+v, %v; want ErrNotFound (free)", stored, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetLock: %v", err)
			}
			if stored.Owner != st.wantOwner || stored.Fence != st.wantFence || stored.Target != target {
				t.Errorf("stored lock %+v, want owner %s fence %d", stored, st.wantOwner, st.wantFence)
			}
			if live := stored.Live(e.clock.Now()); live != (st.wantLease > 0) {
				t.Errorf("stored lock live = %v at %s (expires %s), want %v", live, e.clock.Now(), stored.ExpiresAt, st.wantLease > 0)
			}
			if st.wantLease > 0 && !stored.ExpiresAt.Equal(e.clock.Now().Add(st.wantLease)) {
				t.Errorf("stored lock expires %s, want %s", stored.ExpiresAt, e.clock.Now().Add(st.wantLease))
			}
		})
	}
}

// testAcquireLockConcurrent: of many releases racing for a free target,
// exactly one holds it.
func testAcquireLockConcurrent(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	const owners = 30
	var mu sync.Mutex
	var winners []string
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range owners {
		wg.Go(func() {
			<-start
			owner := fmt.Sprintf("rel-%02d", i)
			_, err := e.store.AcquireLock(ctx, "t", owner, time.Minute)
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, owner)
				mu.Unlock()
			case !errors.Is(err, release.ErrLocked):
				t.Errorf("%s: AcquireLock: %v, want nil or ErrLocked", owner, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
	l, err := e.store.GetLock(ctx, "t")
	if err != nil || l.Owner != winners[0] || l.Fence != 1 {
		t.Errorf("GetLock = %+v, %v; want owner %s fence 1", l, err, winners[0])
	}
}
