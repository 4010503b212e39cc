package resultdir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
)

// Store keeps results under Dir as <Dir>/<run>/task-<index>.json.
type Store struct {
	dir string
}

var (
	_ loadtest.Sink   = (*Store)(nil)
	_ loadtest.Source = (*Store)(nil)
)

// New returns a store rooted at dir, which is created on the first Put.
func New(dir string) *Store {
	return &Store{dir: dir}
}

var taskFile = regexp.MustCompile(`^task-([0-9]{1,9})\.json$`)

func fileName(task int) string { return fmt.Sprintf("task-%05d.json", task) }

// Put writes r as the result of task of run runID, replacing an earlier one.
// Errors match release.ErrInvalid for bad arguments (see loadtest.Sink).
func (s *Store) Put(ctx context.Context, runID string, task int, r loadtest.Result) error {
	r, err := loadtest.CheckPut(runID, task, r)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("put result of run %s task %d: %w", runID, task, err)
	}
	runDir := filepath.Join(s.dir, runID)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fmt.Errorf("put result of run %s task %d: %w", runID, task, err)
	}
	tmp, err := os.CreateTemp(runDir, ".task-*.tmp")
	if err != nil {
		return fmt.Errorf("put result of run %s task %d: %w", runID, task, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, werr := tmp.Write(append(data, '\n'))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("put result of run %s task %d: write %s: %w", runID, task, tmp.Name(), err)
	}
	path := filepath.Join(runDir, fileName(task))
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("put result of run %s task %d: %w", runID, task, err)
	}
	return nil
}

// Results reads every task result of run runID, ordered by task; none for a
// run without a directory. A file that does not decode, or whose content
// names another run or task than its path, is an error matching
// release.ErrInvalid that names the file.
func (s *Store) Results(ctx context.Context, runID string) ([]loadtest.Result, error) {
	if err := loadtest.CheckRunID(runID); err != nil {
		return nil, err
	}
	runDir := filepath.Join(s.dir, runID)
	entries, err := os.ReadDir(runDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("results of run %s: %w", runID, err)
	}
	var out []loadtest.Result
	for _, e := range entries {
		m := taskFile.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		task, _ := strconv.Atoi(m[1])
		path := filepath.Join(runDir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("results of run %s: %w", runID, err)
		}
		r, err := loadtest.DecodeResult(data)
		if err != nil {
			return nil, fmt.Errorf("results of run %s: %s: %w", runID, path, err)
		}
		if r.RunID != runID || r.Task != task {
			return nil, release.Errorf(release.ErrInvalid, "results of run %s: %s holds run %q task %d", runID, path, r.RunID, r.Task)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b loadtest.Result) int { return a.Task - b.Task })
	return out, nil
}
