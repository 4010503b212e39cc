package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTB records failures instead of failing the test.
type fakeTB struct {
	testing.TB
	errs, fatals []string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Errorf(format string, args ...any) { f.errs = append(f.errs, format) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatals = append(f.fatals, format) }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.golden")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	same := &fakeTB{TB: t}
	Check(same, path, []byte("a\nb\n"))
	if len(same.errs)+len(same.fatals) != 0 {
		t.Errorf("equal output failed: %v %v", same.errs, same.fatals)
	}
	differs := &fakeTB{TB: t}
	Check(differs, path, []byte("a\nc\n"))
	if len(differs.errs) != 1 {
		t.Errorf("different output: %d errors, want 1", len(differs.errs))
	}
	missing := &fakeTB{TB: t}
	Check(missing, filepath.Join(dir, "none.golden"), []byte("x"))
	if len(missing.fatals) != 1 {
		t.Errorf("missing golden file: %d fatals, want 1", len(missing.fatals))
	}
}

func TestCheckUpdate(t *testing.T) {
	*update = true
	defer func() { *update = false }()
	path := filepath.Join(t.TempDir(), "sub", "new.golden")
	tb := &fakeTB{TB: t}
	Check(tb, path, []byte("fresh"))
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "fresh" || len(tb.errs)+len(tb.fatals) != 0 {
		t.Errorf("after -update: %q, %v, failures %v %v", got, err, tb.errs, tb.fatals)
	}
}

func TestDiff(t *testing.T) {
	d := Diff([]byte("a\nb\nc"), []byte("a\nB\nc"))
	if !strings.Contains(d, "line 2") || !strings.Contains(d, "want: b") || !strings.Contains(d, "got:  B") {
		t.Errorf("Diff = %q, want line 2 with both lines", d)
	}
}
