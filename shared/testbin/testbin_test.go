package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildOnceAndPrebuilt: a package is built once per process into a
// directory Clean removes, and a prebuilt binary in $SHIPWAVE_TESTBIN is
// used as it is.
func TestBuildOnceAndPrebuilt(t *testing.T) {
	t.Setenv(EnvDir, "")
	const pkg = "github.com/shipwave/shipwave/cmd/sampleevents"
	first := Path(t, pkg)
	fi, err := os.Stat(first)
	if err != nil {
		t.Fatal(err)
	}
	if again := Path(t, pkg); again != first {
		t.Errorf("second Path = %s, want the first build %s", again, first)
	}
	if fi2, _ := os.Stat(first); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("the second Path rebuilt the binary")
	}
	if out, err := exec.Command(first, "-h").CombinedOutput(); !strings.Contains(string(out), "-secret") {
		t.Errorf("built binary -h = %q, %v; want its usage", out, err)
	}
	Clean()
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("after Clean: %v, want the binary gone", err)
	}

	dir := t.TempDir()
	pre := filepath.Join(dir, "sampleevents")
	if err := os.WriteFile(pre, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, dir)
	if got := Path(t, pkg); got != pre {
		t.Errorf("Path with %s set = %s, want the prebuilt %s", EnvDir, got, pre)
	}
}
