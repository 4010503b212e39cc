package sim_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/sim"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/store/memstore"
)

var (
	flagSeed   = flag.Uint64("sim.seed", 1, "first seed of the simulated histories")
	flagN      = flag.Int("sim.n", 1000, "number of simulated histories (seeds sim.seed … sim.seed+n-1)")
	flagSkip   = flag.String("sim.skip", os.Getenv("SIM_SKIP"), "comma-separated invariants not to fail on (also $SIM_SKIP); \"all\" reports without failing")
	flagShow   = flag.Int("sim.show", 3, "failing histories to print in full")
	flagRepeat = flag.Int("sim.repeat", 1, "play each seed this many times (a seed whose interleaving varies may need several)")
	// make test passes -sim.confirm=3 (SIM_CONFIRM); make soak and a
	// replay by hand fail on every violation.
	flagConfirm = flag.Int("sim.confirm", envInt("SIM_CONFIRM"), "replay a failing seed this many times and fail only if a replay fails too (0: every violation fails)")
)

// undo is the simulation's undo action: `shipwave release undo`
// (control.Service.Undo: a running release is rolled back, an ended one's
// targets are restored to the versions it replaced).
var undo = func(ctx context.Context, svc *control.Service, releaseID, actor string) error {
	_, err := svc.Undo(ctx, control.UndoRequest{ReleaseID: releaseID, Actor: actor, Reason: "simulated undo"})
	return err
}

// regressionSeeds are seeds outside the usual range that once found a bug
// (runs from other base seeds and make soak); every run of more than one
// history plays them too.
var regressionSeeds = []uint64{
	8424,   // crash between waves ignored onFailure: rollbackAllWaves
	209649, // checker: a known-good version that crashed after its release ended
	209734, // checker: a target claimed RESTORING counted as unwatched
	105541, // reconcile gave up after a burst of throttles and 5xx
	39714,  // crash while a superseded release settled its promotions
	56235,  // the same, another history
	53881,  // the same ending resumed as ROLLED_BACK though nothing was taken back
}

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
	byInv := map[sim.Invariant][]uint64{}
	shown, failed, unconfirmed, released := 0, 0, 0, 0
	features := map[string]int{}
	var seeds []uint64
	for i := 0; i < *flagN; i++ {
		for range max(1, *flagRepeat) {
			seeds = append(seeds, *flagSeed+uint64(i))
		}
	}
	if *flagN > 1 {
		seeds = append(seeds, regressionSeeds...)
	}
	runSeeds(t, seeds, sim.Options{Undo: undo}, func(seed uint64, h *sim.History, vs []sim.Violation) {
		for _, f := range sim.Features(h.Scenario) {
			features[f]++
		}
		for _, r := range h.Releases {
			if r.Status == release.StatusSucceeded {
				released++
				break
			}
		}
		var failing []sim.Violation
		for _, v := range vs {
			if !skip[v.Invariant] {
				failing = append(failing, v)
			}
			if seeds := byInv[v.Invariant]; len(seeds) == 0 || seeds[len(seeds)-1] != seed {
				byInv[v.Invariant] = append(byInv[v.Invariant], seed)
			}
		}
		if len(failing) == 0 || all {
			return
		}
		if *flagConfirm > 0 && !reproduces(seed, *flagConfirm, skip) {
			// Sibling deploys and alarm deliveries can interleave
			// differently from one run to the next (docs/simulation.md);
			// a violation no replay shows again is reported, not failed.
			unconfirmed++
			msg := fmt.Sprintf("seed %d: %d violation(s) that %d replays did not show again; replay: %s", seed, len(failing), *flagConfirm, sim.ReplayCommand(seed))
			for _, v := range failing {
				msg += "\n  " + v.String()
			}
			t.Log(msg)
			return
		}
		failed++
		msg := fmt.Sprintf("seed %d: %d violation(s); replay: %s", seed, len(failing), sim.ReplayCommand(seed))
		for _, v := range failing {
			msg += "\n  " + v.String()
		}
		if shown < *flagShow || len(seeds) == 1 {
			msg += "\n" + sim.Format(h)
			shown++
		}
		if failed <= 50 {
			t.Error(msg)
		} else if failed == 51 {
			t.Error("… more failing seeds: see the summary")
		}
	})
	var fs []string
	for f, n := range features {
		fs = append(fs, fmt.Sprintf("%s %d", f, n))
	}
	sort.Strings(fs)
	t.Logf("scenarios: %s", strings.Join(fs, ", "))
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
		t.Logf("invariants violated (histories out of %d):\n%s", len(seeds), strings.Join(summary, "\n"))
	}
	if unconfirmed > 0 {
		t.Logf("%d histories had violations no replay showed again (see above)", unconfirmed)
	}
	// Every invariant holds in a world where nothing deploys: a broken
	// wiring (a Task function served by the wrong handler) rolls every
	// release back safely, so some history must release something.
	t.Logf("%d of %d histories had a release succeed", released, len(seeds))
	if len(seeds) >= 20 && released == 0 {
		t.Errorf("no release succeeded in %d histories: the engine's wiring deploys nothing", len(seeds))
	}
}

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

// reproduces replays seed n times and reports whether any replay breaks an
// invariant that is not skipped.
func reproduces(seed uint64, n int, skip map[sim.Invariant]bool) bool {
	for range n {
		h, err := sim.Run(context.Background(), sim.Generate(seed), sim.Options{Undo: undo})
		if err != nil || h == nil {
			return true
		}
		for _, v := range sim.Check(h) {
			if !skip[v.Invariant] {
				return true
			}
		}
	}
	return false
}

// runSeeds plays the seeds on GOMAXPROCS workers and hands each history to
// report in the order of seeds, as soon as it and those before it are done;
// histories are not kept.
func runSeeds(t testing.TB, seeds []uint64, opts sim.Options, report func(uint64, *sim.History, []sim.Violation)) {
	t.Helper()
	began := time.Now()
	type result struct {
		h  *sim.History
		vs []sim.Violation
	}
	var (
		mu      sync.Mutex
		done    = map[int]result{}
		nextOut = 0
		wg      sync.WaitGroup
		next    = make(chan int)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := seeds[i]
				h, err := sim.Run(context.Background(), sim.Generate(s), opts)
				if err != nil {
					t.Errorf("seed %d: %v", s, err)
				}
				var vs []sim.Violation
				if h != nil {
					vs = sim.Check(h)
				}
				mu.Lock()
				done[i] = result{h, vs}
				for {
					r, ok := done[nextOut]
					if !ok {
						break
					}
					delete(done, nextOut)
					if r.h != nil {
						report(seeds[nextOut], r.h, r.vs)
					}
					nextOut++
				}
				mu.Unlock()
			}
		}()
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	el := time.Since(began)
	t.Logf("%d histories in %s (%.0f histories/s on %d workers)", len(seeds), el.Round(time.Millisecond), float64(len(seeds))/el.Seconds(), runtime.GOMAXPROCS(0))
}

// TestSimulationOnDynalite runs a few histories on the DynamoDB store
// against dynalite, and requires every invariant to hold there too: with
// the store contract suite that both stores pass, this is what lets the
// thousands of histories run on the in-memory store. Sibling deploys of a
// wave run concurrently, and the slower store changes which of them acts
// first (a sibling that shifted before a WaveAborted reached it makes the
// release ROLLED_BACK rather than FAILED), so outcomes are compared with
// the in-memory run's and a difference is reported, not failed.
func TestSimulationOnDynalite(t *testing.T) {
	const n = 20
	dyn := sim.Options{Store: func(now func() time.Time) (sim.Store, error) {
		client, table := dynalitetest.Table(t)
		return store.New(client, table, store.WithNow(now), store.WithIDs(memstore.NewIDs(now))), nil
	}, WallTimeout: 2 * time.Minute, Undo: undo}
	for seed := uint64(1); seed <= n; seed++ {
		hd, err := sim.Run(context.Background(), sim.Generate(seed), dyn)
		if err != nil {
			t.Fatal(err)
		}
		if vs := sim.Check(hd); len(vs) > 0 {
			msg := fmt.Sprintf("seed %d on dynalite: %d violation(s)", seed, len(vs))
			for _, v := range vs {
				msg += "\n  " + v.String()
			}
			t.Errorf("%s\n%s", msg, sim.Format(hd))
			continue
		}
		hm, err := sim.Run(context.Background(), sim.Generate(seed), sim.Options{Undo: undo})
		if err != nil {
			t.Fatal(err)
		}
		if want, got := fst(outcome(hd)), fst(outcome(hm)); got != want {
			t.Logf("seed %d: another interleaving of concurrent deploys: in memory %s, on dynalite %s", seed, got, want)
		}
	}
}

func fst(a, _ string) string { return a }

// outcome summarizes a history: each push's final status, and the
// invariants it violated.
func outcome(h *sim.History) (string, string) {
	var parts []string
	for i, id := range h.IDs {
		r := h.Releases[id]
		parts = append(parts, fmt.Sprintf("%s=%s", h.Scenario.Releases[i].Version, r.Status))
	}
	seen := map[sim.Invariant]bool{}
	for _, v := range sim.Check(h) {
		seen[v.Invariant] = true
	}
	var invs []string
	for _, inv := range sim.Invariants {
		if seen[inv] {
			invs = append(invs, string(inv))
		}
	}
	return strings.Join(parts, " "), strings.Join(invs, " ")
}

// TestGenerateIsDeterministic: a seed always makes the same scenario.
func TestGenerateIsDeterministic(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		a, b := sim.Generate(seed), sim.Generate(seed)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two different scenarios:\n%s\n%s", seed, a.Describe(), b.Describe())
		}
	}
	if reflect.DeepEqual(sim.Generate(1), sim.Generate(2)) {
		t.Fatal("seeds 1 and 2 made the same scenario")
	}
}

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// BenchmarkSimulation measures histories per second: each iteration plays
// one seeded history (on the in-memory store) and checks it. Run it with
// `go test ./shared/sim -run '^$' -bench Simulation -benchtime 500x`.
func BenchmarkSimulation(b *testing.B) {
	b.ReportAllocs()
	seed := uint64(1)
	began := time.Now()
	for b.Loop() {
		h, err := sim.Run(context.Background(), sim.Generate(seed), sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		_ = sim.Check(h)
		seed++
	}
	b.ReportMetric(float64(seed-1)/time.Since(began).Seconds(), "histories/s")
}
