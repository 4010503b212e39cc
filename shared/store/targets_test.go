package store_test

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

func TestTargetStateRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	if _, err := e.store.GetTargetState(ctx, "orders"); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("GetTargetState(never deployed) = %v, want ErrNotFound", err)
	}
	want := release.TargetState{
		Target: "orders", KnownGood: "v1", Good: []string{"v1", "v0"}, Stable: "v1", Candidate: "v2", Weight: 10,
		ReleaseID: "rel-1", Previous: "v1", Phase: release.PhaseShifting, Stage: "prod", Wave: "one-box",
		UpdatedAt: e.clock.Now(),
	}
	if err := e.store.PutTargetState(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.GetTargetState(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("UpdatedAt = %s, want %s", got.UpdatedAt, want.UpdatedAt)
	}
	got.UpdatedAt = want.UpdatedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetTargetState = %+v, want %+v", got, want)
	}
	older := want
	older.UpdatedAt = want.UpdatedAt.Add(-time.Second)
	if err := e.store.PutTargetState(ctx, older); !errors.Is(err, release.ErrConflict) {
		t.Errorf("PutTargetState(older) = %v, want ErrConflict", err)
	}
	if err := e.store.PutTargetState(ctx, release.TargetState{Target: "orders"}); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("PutTargetState(no phase) = %v, want ErrInvalid", err)
	}
}

func TestSwapTargetState(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	first := release.TargetState{Target: "orders", KnownGood: "v1", Stable: "v1", Phase: release.PhaseStable, UpdatedAt: e.clock.Now()}
	if err := e.store.SwapTargetState(ctx, release.TargetState{}, first); err != nil {
		t.Fatalf("Swap(none -> stable) = %v", err)
	}
	if err := e.store.SwapTargetState(ctx, release.TargetState{}, first); !errors.Is(err, release.ErrConflict) {
		t.Errorf("Swap(none -> stable) again = %v, want ErrConflict", err)
	}
	stored, err := e.store.GetTargetState(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}

	// Several restorers read the same state; exactly one claim wins.
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
	now, err := e.store.GetTargetState(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if now.ReleaseID != winners[0] || now.Phase != release.PhaseRestoring {
		t.Errorf("stored %+v, want the winner %s's RESTORING claim", now, winners[0])
	}
	// A swap from a stale read loses, whatever it writes.
	stale := stored
	stale.Phase = release.PhaseShifting
	stale.UpdatedAt = now.UpdatedAt.Add(time.Second)
	if err := e.store.SwapTargetState(ctx, stored, stale); !errors.Is(err, release.ErrConflict) {
		t.Errorf("Swap(from stale) = %v, want ErrConflict", err)
	}
	if err := e.store.SwapTargetState(ctx, release.TargetState{Target: "other"}, stale); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("Swap(prev of another target) = %v, want ErrInvalid", err)
	}
}
