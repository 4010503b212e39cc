package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// testSwapTargetState: a compare-and-swap of a target's state has exactly
// one winner among writers that read the same state, and a stale read
// always loses.
func testSwapTargetState(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	first := release.TargetState{Target: "orders", KnownGood: "v1", Stable: "v1", Phase: release.PhaseStable, UpdatedAt: e.clock.Now()}
	WantKind(t, "Swap(none -> stable)", e.store.SwapTargetState(ctx, release.TargetState{}, first), nil)
	WantKind(t, "Swap(none -> stable) again", e.store.SwapTargetState(ctx, release.TargetState{}, first), release.ErrConflict)
	stored, err := e.store.GetTargetState(ctx, "orders")
	WantKind(t, "GetTargetState", err, nil)

	claim := stored
	claim.ReleaseID, claim.Phase, claim.UpdatedAt = "rel-a", release.PhaseRestoring, stored.UpdatedAt.Add(time.Millisecond)
	WantKind(t, "Swap(stable -> restoring)", e.store.SwapTargetState(ctx, stored, claim), nil)
	now, err := e.store.GetTargetState(ctx, "orders")
	WantKind(t, "GetTargetState", err, nil)
	if now.ReleaseID != "rel-a" || now.Phase != release.PhaseRestoring {
		t.Errorf("stored %+v, want rel-a's RESTORING claim", now)
	}
	stale := stored
	stale.Phase = release.PhaseShifting
	stale.UpdatedAt = now.UpdatedAt.Add(time.Second)
	WantKind(t, "Swap(from a stale read)", e.store.SwapTargetState(ctx, stored, stale), release.ErrConflict)
	WantKind(t, "Swap(prev of another target)", e.store.SwapTargetState(ctx, release.TargetState{Target: "other"}, stale), release.ErrInvalid)
	WantKind(t, "Swap(no phase)", e.store.SwapTargetState(ctx, now, release.TargetState{Target: "orders"}), release.ErrInvalid)
}

// testSwapTargetStateConcurrent: of several writers that read the same
// state, exactly one swap wins.
func testSwapTargetStateConcurrent(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	first := release.TargetState{Target: "orders", KnownGood: "v1", Stable: "v1", Phase: release.PhaseStable, UpdatedAt: e.clock.Now()}
	WantKind(t, "Swap(none -> stable)", e.store.SwapTargetState(ctx, release.TargetState{}, first), nil)
	stored, err := e.store.GetTargetState(ctx, "orders")
	WantKind(t, "GetTargetState", err, nil)
	const racers = 8
	var wg sync.WaitGroup
	wins := make(chan string, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := stored
			next.ReleaseID = "rel-" + string(rune('a'+i))
			next.Phase = release.PhaseRestoring
			next.UpdatedAt = stored.UpdatedAt.Add(time.Millisecond)
			switch err := e.store.SwapTargetState(ctx, stored, next); {
			case err == nil:
				wins <- next.ReleaseID
			case !errors.Is(err, release.ErrConflict):
				t.Errorf("racer %d: %v, want nil or ErrConflict", i, err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
	if now, err := e.store.GetTargetState(ctx, "orders"); err != nil || now.ReleaseID != winners[0] || now.Phase != release.PhaseRestoring {
		t.Errorf("stored %+v, %v; want the winner %s's RESTORING claim", now, err, winners[0])
	}
}
