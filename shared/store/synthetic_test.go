package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

// TestSyntheticRun: the sender's counter adds up while its run is the
// target's and not stopped; stopping returns the count once; a new run
// replaces the old one, whose sender is then told to stop.
func TestSyntheticRun(t *testing.T) {
	e := newEnv(t)
	ctx := storetest.Ctx(t)
	until := e.clock.Now().Add(10 * time.Minute)
	if _, running, err := e.store.StopSyntheticRun(ctx, "orders-live"); err != nil || running {
		t.Fatalf("stop without a run = %v, %v; want not running", running, err)
	}
	if _, stop, err := e.store.AddSyntheticSent(ctx, "orders-live", "run-0", 1); err != nil || !stop {
		t.Fatalf("count without a run = stop %v, %v; want stop", stop, err)
	}
	if err := e.store.StartSyntheticRun(ctx, "orders-live", "run-1", until); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		run       string
		n, total  int64
		wantStop  bool
		operation string
	}{
		{"run-1", 5, 5, false, "first batch"},
		{"run-1", 7, 12, false, "second batch"},
		{"run-2", 3, 0, true, "another run's sender"},
	}
	for _, s := range steps {
		total, stop, err := e.store.AddSyntheticSent(ctx, "orders-live", s.run, s.n)
		if err != nil || stop != s.wantStop || total != s.total {
			t.Fatalf("%s: total %d, stop %v, err %v; want %d, %v", s.operation, total, stop, err, s.total, s.wantStop)
		}
	}
	sent, running, err := e.store.StopSyntheticRun(ctx, "orders-live")
	if err != nil || !running || sent != 12 {
		t.Fatalf("stop = %d, %v, %v; want 12 sent, running", sent, running, err)
	}
	if _, stop, _ := e.store.AddSyntheticSent(ctx, "orders-live", "run-1", 1); !stop {
		t.Error("a stopped run's sender was not told to stop")
	}
	if _, running, err := e.store.StopSyntheticRun(ctx, "orders-live"); err != nil || running {
		t.Errorf("second stop = %v, %v; want not running, no error", running, err)
	}
	if err := e.store.StartSyntheticRun(ctx, "orders-live", "run-3", until); err != nil {
		t.Fatal(err)
	}
	if total, stop, err := e.store.AddSyntheticSent(ctx, "orders-live", "run-3", 2); err != nil || stop || total != 2 {
		t.Errorf("a new run after a stopped one: %d, %v, %v; want a fresh count of 2", total, stop, err)
	}
	if err := e.store.StartSyntheticRun(ctx, "", "run-4", until); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("empty target = %v, want ErrInvalid", err)
	}
}
