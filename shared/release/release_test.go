package release_test

import (
	"errors"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
)

// TestCanTransition is the whole status machine as a table, written out
// rather than derived from the code: each row is a status and the statuses
// it may move to; every other pair must be refused.
func TestCanTransition(t *testing.T) {
	all := []release.Status{
		release.StatusPending, release.StatusQueued, release.StatusInProgress,
		release.StatusSucceeded, release.StatusRolledBack, release.StatusFailed,
		release.StatusNeedsAttention, release.StatusSuperseded, release.StatusCancelled,
	}
	allowed := map[release.Status][]release.Status{
		release.StatusPending: {release.StatusQueued, release.StatusInProgress, release.StatusSuperseded,
			release.StatusCancelled, release.StatusFailed, release.StatusNeedsAttention},
		release.StatusQueued: {release.StatusInProgress, release.StatusSuperseded, release.StatusCancelled,
			release.StatusFailed, release.StatusNeedsAttention},
		release.StatusInProgress: {release.StatusSucceeded, release.StatusRolledBack, release.StatusFailed,
			release.StatusNeedsAttention, release.StatusCancelled, release.StatusSuperseded},
		// Terminal statuses go nowhere.
	}
	for _, from := range all {
		ok := map[release.Status]bool{}
		for _, to := range allowed[from] {
			ok[to] = true
		}
		if got, want := from.Terminal(), len(allowed[from]) == 0; got != want {
			t.Errorf("%s.Terminal() = %v, want %v", from, got, want)
		}
		if !from.Valid() {
			t.Errorf("%s.Valid() = false", from)
		}
		for _, to := range all {
			if got := release.CanTransition(from, to); got != ok[to] {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, ok[to])
			}
			err := release.CheckTransition(from, to)
			if ok[to] && err != nil {
				t.Errorf("CheckTransition(%s, %s) = %v, want nil", from, to, err)
			}
			if !ok[to] && !errors.Is(err, release.ErrConflict) {
				t.Errorf("CheckTransition(%s, %s) = %v, want an ErrConflict error", from, to, err)
			}
		}
	}
	for _, s := range []release.Status{"", "DONE", "pending"} {
		if s.Valid() || release.CanTransition(s, release.StatusInProgress) || release.CanTransition(release.StatusPending, s) {
			t.Errorf("unknown status %q is accepted", s)
		}
	}
}
