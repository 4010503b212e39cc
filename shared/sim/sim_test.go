package sim_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/sim"
)

var (
	flagSeed = flag.Uint64("sim.seed", 1, "first seed of the simulated histories")
	flagN    = flag.Int("sim.n", 1000, "number of simulated histories (seeds sim.seed … sim.seed+n-1)")
	flagSkip = flag.String("sim.skip", os.Getenv("SIM_SKIP"), "comma-separated invariants not to fail on (also $SIM_SKIP); \"all\" reports without failing")
	flagShow = flag.Int("sim.show", 3, "failing histories to print in full")
)

// TestSimulation runs seeded histories of the real state machines and
// handlers on virtual time and checks every invariant after each (see
// package sim and docs/simulation.md). A failing seed prints the one-line
// command that replays it, and its history.
func TestSimulation(t *testing.T) {
	skip := map[sim.Invariant]bool{}
	all := *flagSkip == "all"
	for _, name := range strings.Split(*flagSkip, ",") {
		if name = strings.TrimSpace(name); name != "" && name != "all" {
			known := false
			for _, inv := range sim.Invariants {
				known = known || string(inv) == name
			}
			if !known {
				t.Fatalf("-sim.skip: unknown invariant %q (known: %v)", name, sim.Invariants)
			}
			skip[sim.Invariant(name)] = true
		}
	}
	results := runSeeds(t, *flagSeed, *flagN, sim.Options{})
	byInv := map[sim.Invariant][]uint64{}
	shown := 0
	for _, r := range results {
		var failing []sim.Violation
		for _, v := range r.violations {
			if !skip[v.Invariant] {
				failing = append(failing, v)
			}
			if len(byInv[v.Invariant]) == 0 || byInv[v.Invariant][len(byInv[v.Invariant])-1] != r.seed {
				byInv[v.Invariant] = append(byInv[v.Invariant], r.seed)
			}
		}
		if len(failing) == 0 || all {
			continue
		}
		msg := fmt.Sprintf("seed %d: %d violation(s); replay: %s", r.seed, len(failing), sim.ReplayCommand(r.seed))
		for _, v := range failing {
			msg += "\n  " + v.String()
		}
		if shown < *flagShow || *flagN == 1 {
			msg += "\n" + sim.Format(r.history)
			shown++
		}
		t.Error(msg)
	}
	var summary []string
	for _, inv := range sim.Invariants {
		if seeds := byInv[inv]; len(seeds) > 0 {
			mark := ""
			if skip[inv] {
				mark = " (skipped)"
			}
			summary = append(summary, fmt.Sprintf("  %-26s %5d histories, first seeds %v%s", inv, len(seeds), seeds[:min(5, len(seeds))], mark))
		}
	}
	if len(summary) > 0 {
		t.Logf("invariants violated in %d histories:\n%s", len(results), strings.Join(summary, "\n"))
	}
}

type result struct {
	seed       uint64
	history    *sim.History
	violations []sim.Violation
}

// runSeeds runs n histories from seed on GOMAXPROCS workers.
func runSeeds(t testing.TB, seed uint64, n int, opts sim.Options) []result {
	t.Helper()
	began := time.Now()
	out := make([]result, n)
	var wg sync.WaitGroup
	next := make(chan int)
	var mu sync.Mutex
	var errs []error
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := seed + uint64(i)
				h, err := sim.Run(context.Background(), sim.Generate(s), opts)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("seed %d: %w", s, err))
					mu.Unlock()
					continue
				}
				out[i] = result{seed: s, history: h, violations: sim.Check(h)}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	el := time.Since(began)
	t.Logf("%d histories in %s (%.0f histories/s)", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	sort.Slice(out, func(i, j int) bool { return out[i].seed < out[j].seed })
	return out
}
