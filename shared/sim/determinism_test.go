package sim_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/sim"
)

// TestReplayIsMostlyIdentical runs seeds twice and compares the histories:
// every release's status and event log (types, places, times, messages) and
// what the world saw (its log, ordered within each instant). Virtual time and the
// seeded generator make most replays identical; what can still differ is
// the order in which concurrently runnable goroutines (sibling deploys of a
// wave, an alarm delivery racing a bake's own check) reach the store, which
// docs/simulation.md describes. The test fails when fewer than half the
// seeds replay identically (contention on a loaded machine changes the
// odds of those races, so it does not ask for more).
func TestReplayIsMostlyIdentical(t *testing.T) {
	const n = 60
	same := 0
	for seed := uint64(1); seed <= n; seed++ {
		a, err := sim.Run(context.Background(), sim.Generate(seed), sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := sim.Run(context.Background(), sim.Generate(seed), sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if fingerprint(a) == fingerprint(b) {
			same++
		} else {
			t.Logf("seed %d: the replay interleaved differently", seed)
		}
	}
	t.Logf("%d of %d replays identical", same, n)
	if same < n/2 {
		t.Errorf("only %d of %d replays were identical", same, n)
	}
}

// fingerprint is a history as text: the store's logs in order, and the
// world's log sorted, since operations at one virtual instant may log in
// either order without changing anything.
func fingerprint(h *sim.History) string {
	var b strings.Builder
	for i, id := range h.IDs {
		r := h.Releases[id]
		fmt.Fprintf(&b, "release %d %s %s\n", i, r.Status, r.Reason)
		for _, ev := range h.Events[id] {
			fmt.Fprintf(&b, "  %d %s %s %s/%s/%s %s\n", ev.Seq, ev.Time.Format(time.RFC3339Nano), ev.Type, ev.Stage, ev.Wave, ev.Target, ev.Message)
		}
	}
	world := append([]string(nil), h.WorldLog...)
	sort.Strings(world)
	b.WriteString(strings.Join(world, "\n"))
	return b.String()
}
