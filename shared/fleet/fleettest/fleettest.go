package fleettest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/fleet/demo"
)

// Main is a TestMain for packages that launch fleets:
//
//	func TestMain(m *testing.M) { fleettest.Main(m) }
//
// When the fleet launches the test binary as "BINARY demo-service ...", it
// runs the demo service instead of the tests.
func Main(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "demo-service" {
		os.Exit(serve(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func serve(args []string) int {
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

// Binary returns the test binary's path, for fleet.Config.Binary; it only
// works in packages whose TestMain calls Main.
func Binary(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("fleettest: os.Executable: %v", err)
	}
	return exe
}

// New returns a fleet launching the test binary, closed (every process
// reaped) when the test ends.
func New(t testing.TB, cfg fleet.Config) *fleet.Fleet {
	t.Helper()
	cfg.Binary = Binary(t)
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 5 * time.Second
	}
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = 2 * time.Second
	}
	f := fleet.New(cfg)
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("fleettest: close fleet: %v", err)
		}
	})
	return f
}
