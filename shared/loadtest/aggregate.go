package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

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

// MaxTasks is the most tasks one run may have.
const MaxTasks = 10_000

// Report is the aggregator's answer for a run: whether it passed, a one-line
// summary, which tasks reported, the merged measurements and the verdict.
// Its JSON is the loadtest state machine's $.report: a Choice reads
// "passed" and the Fail state's cause is "summary".
type Report struct {
	RunID  string `json:"runId"`
	Passed bool   `json:"passed"`
	// Summary is one line for people: the verdict and the headline numbers.
	Summary       string  `json:"summary"`
	ExpectedTasks int     `json:"expectedTasks"`
	Reported      []int   `json:"reported"`
	Missing       []int   `json:"missing,omitempty"`
	Stats         Summary `json:"stats"`
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
	if expectedTasks < 1 || expectedTasks > MaxTasks {
		return Report{}, release.Errorf(release.ErrInvalid, "aggregate run %s: expected tasks %d, want 1 to %d", runID, expectedTasks, MaxTasks)
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
	rep.Stats = rep.Result.Summary()
	rep.Verdict = Evaluate(rep.Result, c)
	switch {
	case len(rep.Missing) > 0:
		rep.Verdict.Passed = false
		rep.Verdict.Reason = fmt.Sprintf("%d of %d load-test tasks did not report a result (missing tasks %s)", len(rep.Missing), expectedTasks, ints(rep.Missing))
	case len(unexpected) > 0:
		rep.Verdict.Passed = false
		rep.Verdict.Reason = fmt.Sprintf("results for unexpected or duplicate tasks %s of %d", ints(unexpected), expectedTasks)
	}
	rep.Passed = rep.Verdict.Passed
	rep.Summary = headline(rep)
	return rep, nil
}

// headline is the report's one-line summary.
func headline(rep Report) string {
	st := rep.Stats
	numbers := fmt.Sprintf("%d requests, %.2f%% errors, %.1f rps, p50 %s p90 %s p99 %s",
		st.Requests, st.ErrorRate*100, st.RPS, ms(st.P50Ms), ms(st.P90Ms), ms(st.P99Ms))
	if rep.Passed {
		return fmt.Sprintf("load test %s passed: %s", rep.RunID, numbers)
	}
	return fmt.Sprintf("load test %s failed: %s (%s)", rep.RunID, rep.Verdict.Reason, numbers)
}

func ms(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "ms" }

func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// AggregateInput is the aggregator Lambda's input, as the loadtest state
// machine passes it: the run, the wave's load test (its task count and
// criteria) and where in which release it ran.
type AggregateInput struct {
	RunID     string           `json:"runId"`
	ReleaseID string           `json:"releaseId,omitempty"`
	Pipeline  string           `json:"pipeline,omitempty"`
	Stage     string           `json:"stage,omitempty"`
	Wave      string           `json:"wave,omitempty"`
	Target    release.Target   `json:"target"`
	LoadTest  release.LoadTest `json:"loadTest"`
}

// EventAppender appends to a release's event log.
type EventAppender interface {
	// AppendEvent appends ev, assigning its sequence number. It returns an
	// error matching release.ErrNotFound for an unknown release.
	AppendEvent(ctx context.Context, ev release.Event) (release.Event, error)
}

// Aggregator is the aggregator Lambda's handler.
type Aggregator struct {
	Source Source
	// Events, if set, receives a LoadTestPassed or LoadTestFailed event for
	// runs that name a release.
	Events EventAppender
	Now    func() time.Time
}

// Handle aggregates the run in in, expecting max(1, in.LoadTest.Tasks) task
// results. A failed verdict is a Report with Passed false, not an error;
// errors are as for Aggregate, or the event log's.
func (a *Aggregator) Handle(ctx context.Context, in AggregateInput) (Report, error) {
	rep, err := Aggregate(ctx, a.Source, in.RunID, max(1, in.LoadTest.Tasks), in.LoadTest.Criteria)
	if err != nil {
		return Report{}, err
	}
	if a.Events == nil || in.ReleaseID == "" {
		return rep, nil
	}
	typ := release.EventLoadTestPassed
	if !rep.Passed {
		typ = release.EventLoadTestFailed
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return Report{}, fmt.Errorf("aggregate run %s: encode report: %w", in.RunID, err)
	}
	ev := release.Event{
		ReleaseID: in.ReleaseID, Time: a.Now(), Type: typ,
		Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name,
		Message: rep.Summary, Data: data,
	}
	if _, err := a.Events.AppendEvent(ctx, ev); err != nil {
		return Report{}, fmt.Errorf("aggregate run %s: record %s for release %s: %w", in.RunID, typ, in.ReleaseID, err)
	}
	return rep, nil
}
