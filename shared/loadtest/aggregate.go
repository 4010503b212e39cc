package loadtest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// Sink stores the result of one task of a run.
type Sink interface {
	// Put stores r as the result of task of run runID, replacing an earlier
	// result of the same task (a retried task reports again). It returns an
	// error matching release.ErrInvalid for a bad run ID, a negative task, or
	// a result that names another run or task.
	Put(ctx context.Context, runID string, task int, r Result) error
}

// Source reads back the results of a run.
type Source interface {
	// Results returns every stored task result of run runID, ordered by task,
	// and none (without error) for a run nothing was stored for. It returns
	// an error matching release.ErrInvalid for a bad run ID or a stored result
	// that does not decode.
	Results(ctx context.Context, runID string) ([]Result, error)
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// CheckPut validates the arguments of a Sink.Put and returns r stamped with
// runID and task; Sink implementations call it before storing anything.
func CheckPut(runID string, task int, r Result) (Result, error) {
	if err := CheckRunID(runID); err != nil {
		return Result{}, err
	}
	if task < 0 {
		return Result{}, release.Errorf(release.ErrInvalid, "put result of run %s: task %d is negative", runID, task)
	}
	if r.RunID != "" && r.RunID != runID {
		return Result{}, release.Errorf(release.ErrInvalid, "put result of run %s task %d: result is of run %q", runID, task, r.RunID)
	}
	if r.Task != task {
		return Result{}, release.Errorf(release.ErrInvalid, "put result of run %s task %d: result is of task %d", runID, task, r.Task)
	}
	r.RunID = runID
	if err := r.Validate(); err != nil {
		return Result{}, fmt.Errorf("put result of run %s task %d: %w", runID, task, err)
	}
	return r, nil
}

// CheckRunID returns an error matching release.ErrInvalid unless id is a
// usable run ID: 1–128 letters, digits, '.', '_', ':' or '-', starting with
// a letter or digit (safe as a file name and in a key).
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return release.Errorf(release.ErrInvalid, "run id %q: want 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit", id)
	}
	return nil
}

// Report is the aggregator's answer for a run: which tasks reported, the
// merged measurements, and the verdict.
type Report struct {
	RunID         string  `json:"runId"`
	ExpectedTasks int     `json:"expectedTasks"`
	Reported      []int   `json:"reported"`
	Missing       []int   `json:"missing,omitempty"`
	Summary       Summary `json:"summary"`
	Verdict       Verdict `json:"verdict"`
	// Result is the merge of the reported results; it is left out of the
	// JSON to keep state machine payloads small.
	Result Result `json:"-"`
}

// Aggregate reads the results of run runID from src, merges them and judges
// the merge against c. Tasks 0..expectedTasks-1 must all have reported: a
// missing (or unexpected) task fails the verdict with a reason naming it,
// and the criteria are still checked on what did report. It returns an
// error only when the inputs are invalid (release.ErrInvalid) or src fails.
func Aggregate(ctx context.Context, src Source, runID string, expectedTasks int, c release.Criteria) (Report, error) {
	if err := CheckRunID(runID); err != nil {
		return Report{}, err
	}
	if expectedTasks < 1 {
		return Report{}, release.Errorf(release.ErrInvalid, "aggregate run %s: expected tasks %d, want at least 1", runID, expectedTasks)
	}
	results, err := src.Results(ctx, runID)
	if err != nil {
		return Report{}, fmt.Errorf("aggregate run %s: %w", runID, err)
	}
	rep := Report{RunID: runID, ExpectedTasks: expectedTasks, Reported: []int{}}
	seen := make(map[int]bool, len(results))
	var unexpected []int
	var keep []Result
	for _, r := range results {
		if r.Task < 0 || r.Task >= expectedTasks || seen[r.Task] {
			unexpected = append(unexpected, r.Task)
			continue
		}
		seen[r.Task] = true
		keep = append(keep, r)
		rep.Reported = append(rep.Reported, r.Task)
	}
	slices.Sort(rep.Reported)
	for i := range expectedTasks {
		if !seen[i] {
			rep.Missing = append(rep.Missing, i)
		}
	}
	if len(keep) > 0 {
		merged, err := Merge(keep...)
		if err != nil {
			return Report{}, fmt.Errorf("aggregate run %s: %w", runID, err)
		}
		rep.Result = merged
	} else {
		rep.Result = Result{RunID: runID, Task: -1}
	}
	rep.Summary = rep.Result.Summary()
	rep.Verdict = Evaluate(rep.Result, c)
	switch {
	case len(rep.Missing) > 0:
		rep.Verdict.Passed = false
		rep.Verdict.Reason = fmt.Sprintf("%d of %d load-test tasks did not report a result (missing tasks %s)", len(rep.Missing), expectedTasks, ints(rep.Missing))
	case len(unexpected) > 0:
		rep.Verdict.Passed = false
		rep.Verdict.Reason = fmt.Sprintf("results for unexpected or duplicate tasks %s of %d", ints(unexpected), expectedTasks)
	}
	return rep, nil
}

func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// AggregateInput is the aggregator Lambda's input: the run, how many tasks
// ran, and the criteria to judge them by.
type AggregateInput struct {
	RunID    string           `json:"runId"`
	Tasks    int              `json:"tasks"`
	Criteria release.Criteria `json:"criteria"`
}

// Aggregator is the aggregator Lambda's handler.
type Aggregator struct {
	Source Source
}

// Handle aggregates the run in in. A failed verdict is a Report with
// Verdict.Passed false, not an error; errors are as for Aggregate.
func (a *Aggregator) Handle(ctx context.Context, in AggregateInput) (Report, error) {
	return Aggregate(ctx, a.Source, in.RunID, in.Tasks, in.Criteria)
}
