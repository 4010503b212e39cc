package tasks_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// run parses def, runs it on eng and returns the result.
func run(tb testing.TB, eng *states.Engine, def, input string) states.Result {
	tb.Helper()
	sm, err := states.Parse([]byte(def))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, res, err := eng.Run(ctx, sm, states.StartInput{Input: []byte(input)})
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// startDynalite starts a dynalite process on a free loopback port and
// returns its endpoint. It is a private starter until the shared
// dynalitetest harness lands; a missing dynalite fails the test.
func startDynalite(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv("SHIPWAVE_DYNALITE")
	if bin == "" {
		bin = filepath.Join("..", "..", "..", "node_modules", ".bin", "dynalite")
	}
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("dynalite not found at %s (run npm ci or set SHIPWAVE_DYNALITE): %v", bin, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--host", "127.0.0.1", "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start dynalite: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			tb.Fatalf("dynalite did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
