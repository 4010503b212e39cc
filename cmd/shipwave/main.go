// Command shipwave is Shipwave's command-line interface: validate pipeline
// specs, run state machines on the embedded engine, drive the local control
// plane and inspect releases.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// usageError is returned for bad command lines; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitError carries an exit code chosen by a subcommand, after the
// subcommand has printed what it had to say.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

const usage = `usage: shipwave <command> [arguments]

commands:
  spec validate FILE...      validate pipeline specs
  states run|validate ...    run or validate Amazon States Language definitions
  local up|demo|push ...     the local control plane
  release list|get|...       inspect and steer releases, locally or on AWS (see shipwave release help)
  sim [--seed N] [--n K]     replay seeded simulated histories and check the invariants
  demo-service ...           the demo service the local fleet runs
  dashboard --endpoint URL   the web dashboard for the AWS API, its requests signed with SigV4
  version                    the build's version
  completion bash|zsh        a shell completion script (source <(shipwave completion bash))
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "shipwave: %s\n", ue.msg)
		return 2
	default:
		fmt.Fprintf(stderr, "shipwave: %v\n", err)
		return 1
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "spec":
		return runSpec(ctx, rest, stdout, stderr)
	case "states":
		return runStates(ctx, rest, stdin, stdout, stderr)
	case "local":
		return runLocal(ctx, rest, stdout, stderr)
	case "release":
		return runRelease(ctx, rest, stdout, stderr)
	case "sim":
		return runSim(ctx, rest, stdout, stderr)
	case "demo-service":
		return runDemoService(ctx, rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "shipwave", buildVersion())
		return nil
	case "dashboard":
		return runDashboard(ctx, rest, stdout, stderr)
	case "completion":
		return runCompletion(rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q (see shipwave help)", cmd)}
}
