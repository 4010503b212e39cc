// Package testbin gives tests the executables they run as real processes
// (cmd/loadgen, cmd/shipwave), built once per test binary instead of once
// per test. Under `make test` the Makefile builds them once for every
// package into the directory SHIPWAVE_TESTBIN names, and Build only looks
// them up there.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// EnvDir names the environment variable holding a directory of prebuilt
// binaries, each named after the last element of its package path.
const EnvDir = "SHIPWAVE_TESTBIN"

type build struct {
	once sync.Once
	path string
	err  error
}

var (
	mu     sync.Mutex
	builds = map[string]*build{}
	tmp    string // this process's build directory, removed by Clean
)

// Build returns an executable of the main package pkg (an import path):
// the prebuilt one in $SHIPWAVE_TESTBIN when there is one, otherwise one
// built on first use in this process with `go build`.
func Build(pkg string) (string, error) {
	name := path.Base(pkg)
	if dir := os.Getenv(EnvDir); dir != "" {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	mu.Lock()
	b, ok := builds[pkg]
	if !ok {
		b = &build{}
		builds[pkg] = b
	}
	mu.Unlock()
	b.once.Do(func() {
		dir, err := buildDir()
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		if out, err := exec.Command("go", "build", "-o", b.path, pkg).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	return b.path, b.err
}

// Path is Build for a test: a build failure fails tb.
func Path(tb testing.TB, pkg string) string {
	tb.Helper()
	p, err := Build(pkg)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Clean removes what this process built; call it from TestMain after the
// tests ran.
func Clean() {
	mu.Lock()
	defer mu.Unlock()
	if tmp != "" {
		_ = os.RemoveAll(tmp)
		tmp = ""
		builds = map[string]*build{}
	}
}

func buildDir() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if tmp == "" {
		dir, err := os.MkdirTemp("", "shipwave-testbin-")
		if err != nil {
			return "", err
		}
		tmp = dir
	}
	return tmp, nil
}
