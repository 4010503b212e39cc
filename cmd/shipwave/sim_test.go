package main

import (
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/sim"
)

// TestSimCommand: `shipwave sim` replays seeds, exits 1 with the replay
// command when an invariant not skipped breaks, and 0 when every broken
// invariant is skipped.
func TestSimCommand(t *testing.T) {
	var all []string
	for _, inv := range sim.Invariants {
		all = append(all, string(inv))
	}
	ok := runCLI(t, "", "sim", "--seed", "3", "--skip", strings.Join(all, ","))
	if ok.code != 0 || !strings.Contains(ok.stdout, "seed 3: ok") {
		t.Errorf("sim with every invariant skipped:\n%s", ok)
	}
	if r := runCLI(t, "", "sim", "--n", "0"); r.code != 2 {
		t.Errorf("sim --n 0: want exit 2 (usage)\n%s", r)
	}
	h := runCLI(t, "", "sim", "--seed", "3", "--history")
	switch h.code {
	case 0:
		if !strings.Contains(h.stdout, "seed 3: ok") {
			t.Errorf("sim exit 0 without saying ok:\n%s", h)
		}
	case 1:
		if !strings.Contains(h.stdout, sim.ReplayCommand(3)) || !strings.Contains(h.stdout, "world:") {
			t.Errorf("a failing seed must print its replay command and history:\n%s", h)
		}
	default:
		t.Errorf("sim --seed 3: exit %d\n%s", h.code, h)
	}
}
