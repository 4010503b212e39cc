package resultdir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/loadtest/loadtesttest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestContract(t *testing.T) {
	loadtesttest.TestStore(t, func(tb testing.TB) loadtesttest.Store {
		return New(filepath.Join(tb.TempDir(), "results"))
	})
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	if err := s.Put(context.Background(), "run-1", 7, loadtesttest.Result(t, 7, 3)); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "run-1"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, ","), "task-00007.json"; got != want {
		t.Errorf("got files %q, want %q (no temporary files left)", got, want)
	}
}

func TestCorruptFiles(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content func(tb testing.TB, good []byte) []byte
		wantMsg string
	}{
		{name: "not json", file: "task-00000.json", content: func(testing.TB, []byte) []byte { return []byte("{") }, wantMsg: "task-00000.json: decode result"},
		{name: "moved to another task", file: "task-00003.json", content: func(_ testing.TB, good []byte) []byte { return good }, wantMsg: `task-00003.json holds run "run-1" task 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(dir)
			if err := s.Put(context.Background(), "run-1", 0, loadtesttest.Result(t, 0, 3)); err != nil {
				t.Fatal(err)
			}
			good, err := os.ReadFile(filepath.Join(dir, "run-1", "task-00000.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "run-1", tt.file), tt.content(t, good), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = s.Results(context.Background(), "run-1")
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want an invalid error containing %q", err, tt.wantMsg)
			}
		})
	}
}
