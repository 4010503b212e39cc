package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/shipwave/shipwave/shared/fleet/demo"
)

// TestMain doubles as the demo service: the fleet under test launches this
// test binary with "demo-service ..." arguments, as it launches the shipwave
// binary in the CLI, which is much faster than building shipwave.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "demo-service" {
		os.Exit(demoMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func demoMain(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := demo.ParseArgs(args, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err = demo.Run(ctx, cfg, os.Stdout, os.Stderr)
	var crash *demo.CrashError
	switch {
	case errors.As(err, &crash):
		return crash.Code
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// binary returns the executable the fleet launches: this test binary.
func binary(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return exe
}
