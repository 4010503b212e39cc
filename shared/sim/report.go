package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ReplayCommand is the one-line command that replays a seed (add
// -sim.repeat=20 when its interleaving does not recur at once).
func ReplayCommand(seed uint64) string {
	return fmt.Sprintf("go test ./shared/sim -run 'TestSimulation$' -sim.seed=%d -sim.n=1 -v", seed)
}

// Format renders a history for people: the scenario, what the world saw,
// and every release's status and event log.
func Format(h *History) string {
	var b strings.Builder
	b.WriteString(h.Scenario.Describe())
	b.WriteString("spec:\n")
	for _, l := range strings.Split(strings.TrimRight(h.Scenario.Spec, "\n"), "\n") {
		b.WriteString("  | " + l + "\n")
	}
	b.WriteString("world:\n")
	for _, l := range h.WorldLog {
		b.WriteString("  " + l + "\n")
	}
	ids := make([]string, 0, len(h.Releases))
	for id := range h.Releases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	names := map[string]string{}
	for i, rs := range h.Scenario.Releases {
		if i < len(h.IDs) && h.IDs[i] != "" {
			names[h.IDs[i]] = rs.Version
		}
	}
	for _, id := range ids {
		r := h.Releases[id]
		fmt.Fprintf(&b, "release %s (%s): %s %s\n", id, names[id], r.Status, r.Reason)
		for _, ev := range h.Events[id] {
			loc := strings.Trim(strings.Join([]string{ev.Stage, ev.Wave, ev.Target}, "/"), "/")
			fmt.Fprintf(&b, "  %3d +%-12s %-20s %-22s %s\n", ev.Seq, ev.Time.Sub(h.Scenario.Start).Round(time.Millisecond), ev.Type, loc, ev.Message)
		}
	}
	return b.String()
}
