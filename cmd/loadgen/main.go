// Command loadgen is the load-test container's entrypoint: it runs one task
// of a distributed load test against a URL, stores the task's result where
// the aggregator reads it (a directory locally, the DynamoDB table on AWS)
// and prints a one-line JSON summary. Every flag can also be given as an
// environment variable SHIPWAVE_LOADTEST_<FLAG> (ECS container overrides);
// flags win. The loadtest state machine passes the wave's whole load test as
// SHIPWAVE_LOADTEST_CONFIG (JSON) with SHIPWAVE_LOADTEST_RUN_ID and
// SHIPWAVE_LOADTEST_TASK_INDEX; its rps is the total across its tasks. It exits 2 on a bad command line, 1 when the result cannot be
// stored or the run is interrupted, and 0 otherwise: whether the results
// meet the criteria is the aggregator's call.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
)

// usageError is a bad command line or environment; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "loadgen: %s\n", ue.msg)
		return 2
	default:
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 1
	}
}

// storeTimeout bounds storing the result, which happens even after a
// SIGTERM so a stopped task still reports what it measured.
const storeTimeout = 30 * time.Second

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("runId", opts.load.RunID, "task", opts.load.Task)
	sink, err := openSink(ctx, opts)
	if err != nil {
		return err
	}

	log.InfoContext(ctx, "load test starting", "url", opts.load.URL, "mode", opts.load.Mode,
		"rps", opts.load.RPS, "concurrency", opts.load.Concurrency, "rampUp", opts.load.RampUp.String(), "holdFor", opts.load.HoldFor.String())
	res, runErr := loadtest.Run(ctx, opts.load)
	if errors.Is(runErr, release.ErrInvalid) {
		return &usageError{msg: runErr.Error()}
	}
	if runErr != nil && !res.Interrupted {
		return runErr
	}

	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := sink.Put(storeCtx, opts.load.RunID, opts.load.Task, res); err != nil {
		return fmt.Errorf("store result in %s: %w", opts.out, err)
	}
	line, err := json.Marshal(res.Summary())
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	log.InfoContext(ctx, "load test done", "requests", res.Counts.Requests, "errors", res.Counts.Errors(), "out", opts.out)
	return runErr
}
