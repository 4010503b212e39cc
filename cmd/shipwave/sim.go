package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/shipwave/shipwave/shared/sim"
)

const simUsage = "usage: shipwave sim [--seed N] [--n COUNT] [--skip INVARIANT,...] [--history]"

// runSim implements "shipwave sim": it plays seeded simulated histories
// (package sim) and prints every violated invariant with the command that
// replays its seed; --history prints each failing history in full. It exits
// 1 when an invariant not skipped was violated.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "first seed")
	n := fs.Int("n", 1, "number of histories")
	skipList := fs.String("skip", "", "comma-separated invariants to ignore")
	history := fs.Bool("history", false, "print each failing history in full")
	if err := fs.Parse(args); err != nil {
		return &usageError{msg: simUsage}
	}
	if *n < 1 || fs.NArg() > 0 {
		return &usageError{msg: simUsage}
	}
	skip := map[sim.Invariant]bool{}
	for _, name := range strings.Split(*skipList, ",") {
		if name = strings.TrimSpace(name); name != "" {
			skip[sim.Invariant(name)] = true
		}
	}
	failed := 0
	for s := *seed; s < *seed+uint64(*n); s++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := sim.Run(ctx, sim.Generate(s), sim.Options{})
		if err != nil {
			return err
		}
		var bad []sim.Violation
		for _, v := range sim.Check(h) {
			if !skip[v.Invariant] {
				bad = append(bad, v)
			}
		}
		if len(bad) == 0 {
			fmt.Fprintf(stdout, "seed %d: ok\n", s)
			continue
		}
		failed++
		fmt.Fprintf(stdout, "seed %d: %d violation(s); replay: %s\n", s, len(bad), sim.ReplayCommand(s))
		for _, v := range bad {
			fmt.Fprintf(stdout, "  %s\n", v)
		}
		if *history {
			fmt.Fprint(stdout, sim.Format(h))
		}
	}
	if failed > 0 {
		return &exitError{code: 1}
	}
	return nil
}
