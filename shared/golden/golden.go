// Package golden compares test output with golden files under testdata/
// and rewrites them when the tests run with -update. It is the one golden
// helper of the tree: a package's tests call Check (or Update, for files
// that are not compared byte for byte) instead of keeping their own flag.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// Update reports whether the tests run with -update.
func Update() bool { return *update }

// Check compares got with the golden file at path (relative to the
// package directory; a bare name means testdata/name). With -update it
// writes got there instead, creating directories as needed.
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if !strings.ContainsRune(path, filepath.Separator) && !strings.ContainsRune(path, '/') {
		path = filepath.Join("testdata", path)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("golden %s: %v", path, err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatalf("golden %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("golden %s: %v (run the test with -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("output differs from %s (rerun with -update if the change is intended):\n%s", path, Diff(want, got))
	}
}

// Diff describes where got first differs from want: the line number and
// both lines, then both texts.
func Diff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	line := 0
	for line < len(wl) && line < len(gl) && wl[line] == gl[line] {
		line++
	}
	at := func(ls []string) string {
		if line < len(ls) {
			return ls[line]
		}
		return "(end of file)"
	}
	return fmt.Sprintf("first difference at line %d:\n  want: %s\n  got:  %s\ngot:\n%s\nwant:\n%s", line+1, at(wl), at(gl), got, want)
}
