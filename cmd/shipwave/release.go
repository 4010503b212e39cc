package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
)

const releaseUsage = `usage: shipwave release <command> [--api ADDR] [flags]

commands:
  list     [--pipeline P]                     releases, newest first
  show     ID                                 a release and its event log
  watch    ID                                 follow a release until it ends
  approve  ID --actor A [--comment C]         approve the waiting approval
  reject   ID --actor A [--comment C]         reject it
  rollback ID [--reason R]                    roll a running release back (its onFailure decides which waves)
  undo     ID [--reason R]                    roll it back if running; if it ended, restore every target
                                              it promoted to the version it replaced
  restore  --pipeline P [--targets T,...] [--version V] [--reason R]
                                              break-glass: put targets back on their known-good version
                                              (or an earlier one), now, even while alarms fire

rollback, undo and restore record --actor (default $USER) and --reason in the release's log.
`

func runRelease(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, releaseUsage)
		return &exitError{code: 2}
	}
	cmd := args[0]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, releaseUsage)
		return nil
	}
	fs := flag.NewFlagSet("release "+cmd, flag.ContinueOnError)
	api := fs.String("api", apiAddr(), "address of the local API (default $SHIPWAVE_API, else "+local.DefaultAPIAddr+")")
	pipeline := fs.String("pipeline", "", "list: only this pipeline")
	actor := fs.String("actor", os.Getenv("USER"), "approve/reject: whom the decision is recorded for (a label: the stack's token is the credential)")
	comment := fs.String("comment", "", "approve/reject: a comment")
	reason := fs.String("reason", "", "rollback/undo/restore: why")
	targets := fs.String("targets", "", "restore: comma-separated target names (default: every target of the pipeline)")
	version := fs.String("version", "", "restore: an earlier known-good version (default: each target's last known-good)")
	// Flags may follow the id: parse, take the id, parse the rest.
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	rest := fs.Args()
	id := ""
	if len(rest) > 0 {
		id = rest[0]
		if err := parseFlags(fs, rest[1:], stderr); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return &usageError{msg: fmt.Sprintf("release %s: unexpected argument %q", cmd, fs.Arg(0))}
		}
	}
	c := apiClient(*api)
	needID := func() error {
		if id == "" {
			return &usageError{msg: fmt.Sprintf("release %s: a release id is required", cmd)}
		}
		return nil
	}
	switch cmd {
	case "list":
		rs, err := c.Releases(ctx, *pipeline)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPIPELINE\tVERSION\tSTATUS\tCREATED\tREASON")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Version, r.Status, r.CreatedAt.Format("15:04:05"), r.Reason)
		}
		return tw.Flush()
	case "show":
		if err := needID(); err != nil {
			return err
		}
		v, err := c.Release(ctx, id)
		if err != nil {
			return err
		}
		local.PrintTimeline(stdout, v)
		return nil
	case "watch":
		if err := needID(); err != nil {
			return err
		}
		return watchRelease(ctx, c, id, stdout)
	case "approve", "reject":
		if err := needID(); err != nil {
			return err
		}
		if *actor == "" {
			return &usageError{msg: "release " + cmd + ": --actor is required"}
		}
		if err := c.Decide(ctx, id, cmd == "approve", local.DecisionRequest{Actor: *actor, Comment: *comment}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd %s as %s\n", cmd, id, *actor)
		return nil
	case "rollback":
		if err := needID(); err != nil {
			return err
		}
		r, err := c.Rollback(ctx, id, local.RollbackRequest{Actor: *actor, Reason: *reason})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "release %s is %s: %s\n", r.ID, r.Status, r.Reason)
		return nil
	case "undo":
		if err := needID(); err != nil {
			return err
		}
		r, err := c.Undo(ctx, id, local.RollbackRequest{Actor: *actor, Reason: *reason})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "release %s is %s: %s\n", r.ID, r.Status, r.Reason)
		return endedWell(r)
	case "restore":
		if id != "" {
			return &usageError{msg: "release restore: takes --pipeline, not a release id"}
		}
		if *pipeline == "" {
			return &usageError{msg: "release restore: --pipeline is required"}
		}
		req := local.RestoreRequest{Version: *version, Actor: *actor, Reason: *reason}
		if *targets != "" {
			req.Targets = strings.Split(*targets, ",")
		}
		r, err := c.Restore(ctx, *pipeline, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restore %s is %s: %s\n", r.ID, r.Status, r.Reason)
		return endedWell(r)
	}
	return &usageError{msg: fmt.Sprintf("release: unknown command %q (see shipwave release help)", cmd)}
}

// endedWell exits 1 when a break-glass restore could not verify every
// target.
func endedWell(r release.Release) error {
	if r.Status == release.StatusNeedsAttention {
		return &exitError{code: 1}
	}
	return nil
}

// watchRelease follows a release; it exits 1 unless the release succeeded.
func watchRelease(ctx context.Context, c *local.Client, id string, stdout io.Writer) error {
	v, err := local.Follow(ctx, c, id, stdout, nil)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	if v.Release.Status != release.StatusSucceeded {
		return &exitError{code: 1}
	}
	return nil
}
