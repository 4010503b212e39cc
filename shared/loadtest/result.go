package loadtest

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Counts are the outcomes of the requests of one phase. Every request sent
// and finished is in Requests and in exactly one of the status classes,
// Transport or Timeouts; Dropped requests were never sent.
type Counts struct {
	// Requests is the number of requests sent that finished, successfully or not.
	Requests int64 `json:"requests"`
	// OK counts 2xx responses.
	OK int64 `json:"ok"`
	// Redirect, ClientError and ServerError count 3xx, 4xx and 5xx
	// responses; OtherStatus counts any other status code.
	Redirect    int64 `json:"redirect,omitempty"`
	ClientError int64 `json:"clientError,omitempty"`
	ServerError int64 `json:"serverError,omitempty"`
	OtherStatus int64 `json:"otherStatus,omitempty"`
	// Transport counts requests that failed without a response (connection
	// refused or reset, bad response); Timeouts those that hit the
	// per-request timeout.
	Transport int64 `json:"transport,omitempty"`
	Timeouts  int64 `json:"timeouts,omitempty"`
	// Dropped counts scheduled requests that were not sent because the
	// in-flight cap was reached (constant-rate mode only).
	Dropped int64 `json:"dropped,omitempty"`
}

// Attempts returns the number of requests the generator meant to send: the
// ones sent plus the ones dropped.
func (c Counts) Attempts() int64 { return c.Requests + c.Dropped }

// Errors returns the failed attempts: non-2xx responses, transport errors,
// timeouts and drops.
func (c Counts) Errors() int64 { return c.Attempts() - c.OK }

// ErrorRate returns Errors over Attempts, 0 when nothing was attempted.
func (c Counts) ErrorRate() float64 {
	if c.Attempts() == 0 {
		return 0
	}
	return float64(c.Errors()) / float64(c.Attempts())
}

func (c Counts) add(o Counts) Counts {
	return Counts{
		Requests:    c.Requests + o.Requests,
		OK:          c.OK + o.OK,
		Redirect:    c.Redirect + o.Redirect,
		ClientError: c.ClientError + o.ClientError,
		ServerError: c.ServerError + o.ServerError,
		OtherStatus: c.OtherStatus + o.OtherStatus,
		Transport:   c.Transport + o.Transport,
		Timeouts:    c.Timeouts + o.Timeouts,
		Dropped:     c.Dropped + o.Dropped,
	}
}

func (c Counts) validate() error {
	parts := []int64{c.OK, c.Redirect, c.ClientError, c.ServerError, c.OtherStatus, c.Transport, c.Timeouts}
	var sum int64
	for _, p := range append(parts, c.Requests, c.Dropped) {
		if p < 0 {
			return fmt.Errorf("negative count %d", p)
		}
	}
	for _, p := range parts {
		if p > math.MaxInt64-sum {
			return fmt.Errorf("counts overflow")
		}
		sum += p
	}
	if sum != c.Requests {
		return fmt.Errorf("requests is %d but the outcomes add up to %d", c.Requests, sum)
	}
	if c.Dropped > math.MaxInt64-c.Requests {
		return fmt.Errorf("counts overflow")
	}
	return nil
}

// Result is what one load-generator task measured, or the merge of several.
// The hold window (after ramp-up) is what criteria judge: Counts and Latency
// cover requests started in it, Warmup counts the ramp-up's requests.
type Result struct {
	RunID string `json:"runId,omitempty"`
	// Task is the task's index, or -1 for a merge of several tasks.
	Task int `json:"task"`
	// Tasks is the number of task results this result holds.
	Tasks int  `json:"tasks"`
	Mode  Mode `json:"mode"`
	// Start and End span the whole run, ramp-up and draining included.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// HoldStart is when the hold window began and Hold is its length; for a
	// merge, the earliest start and the longest window, since tasks run side by
	// side.
	HoldStart time.Time     `json:"holdStart"`
	Hold      time.Duration `json:"hold"`
	// Interrupted says the run was cancelled before its hold window ended.
	Interrupted bool   `json:"interrupted,omitempty"`
	Warmup      Counts `json:"warmup"`
	Counts      Counts `json:"counts"`
	// Latency holds one sample per request in Counts.Requests: in
	// constant-rate mode measured from the request's scheduled send time, so
	// stalls on either side are not hidden (no coordinated omission).
	Latency Histogram `json:"latency"`
}

// Throughput returns the requests per second achieved in the hold window:
// requests sent and finished over the window's length.
func (r Result) Throughput() float64 {
	if r.Hold <= 0 {
		return 0
	}
	return float64(r.Counts.Requests) / r.Hold.Seconds()
}

// Validate checks a decoded result for internal consistency.
func (r Result) Validate() error {
	switch {
	case r.Task < -1:
		return release.Errorf(release.ErrInvalid, "result: task %d is negative", r.Task)
	case r.Tasks < 1:
		return release.Errorf(release.ErrInvalid, "result: tasks is %d, want at least 1", r.Tasks)
	case r.Mode != ModeRate && r.Mode != ModeConcurrency:
		return release.Errorf(release.ErrInvalid, "result: mode %q, want %q or %q", r.Mode, ModeRate, ModeConcurrency)
	case r.Hold < 0:
		return release.Errorf(release.ErrInvalid, "result: hold %v is negative", r.Hold)
	case r.End.Before(r.Start):
		return release.Errorf(release.ErrInvalid, "result: end %v before start %v", r.End, r.Start)
	}
	if err := r.Warmup.validate(); err != nil {
		return release.Errorf(release.ErrInvalid, "result: warmup: %v", err)
	}
	if err := r.Counts.validate(); err != nil {
		return release.Errorf(release.ErrInvalid, "result: counts: %v", err)
	}
	if n := r.Latency.Count(); n != r.Counts.Requests {
		return release.Errorf(release.ErrInvalid, "result: latency holds %d samples for %d requests", n, r.Counts.Requests)
	}
	return nil
}

// DecodeResult parses and validates a Result encoded as JSON. Errors match
// release.ErrInvalid.
func DecodeResult(data []byte) (Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return Result{}, release.Errorf(release.ErrInvalid, "decode result: %w", err)
	}
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	return r, nil
}

// Merge combines task results into one: histograms are merged sample for
// sample (percentiles are never averaged), counts are summed and times span
// all inputs. It fails on no input, on results of different runs or modes,
// and on invalid results; errors match release.ErrInvalid.
func Merge(results ...Result) (Result, error) {
	if len(results) == 0 {
		return Result{}, release.Errorf(release.ErrInvalid, "merge: no results")
	}
	out := Result{RunID: results[0].RunID, Task: -1, Mode: results[0].Mode}
	for i, r := range results {
		if err := r.Validate(); err != nil {
			return Result{}, fmt.Errorf("merge: result %d (task %d): %w", i, r.Task, err)
		}
		if r.RunID != out.RunID {
			return Result{}, release.Errorf(release.ErrInvalid, "merge: result %d is of run %q, want %q", i, r.RunID, out.RunID)
		}
		if r.Mode != out.Mode {
			return Result{}, release.Errorf(release.ErrInvalid, "merge: result %d is in mode %q, want %q", i, r.Mode, out.Mode)
		}
		if len(results) == 1 {
			out.Task = r.Task
		}
		out.Tasks += r.Tasks
		out.Start = earliest(out.Start, r.Start)
		out.HoldStart = earliest(out.HoldStart, r.HoldStart)
		if r.End.After(out.End) {
			out.End = r.End
		}
		out.Hold = max(out.Hold, r.Hold)
		out.Interrupted = out.Interrupted || r.Interrupted
		out.Warmup = out.Warmup.add(r.Warmup)
		out.Counts = out.Counts.add(r.Counts)
		if err := out.Latency.merge(r.Latency); err != nil {
			return Result{}, release.Errorf(release.ErrInvalid, "merge: result %d: %w", i, err)
		}
	}
	if err := out.Counts.validate(); err != nil {
		return Result{}, release.Errorf(release.ErrInvalid, "merge: %v", err)
	}
	return out, nil
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// Summary is a result boiled down for people and logs: what was sent, what
// failed, and the latency percentiles of the hold window.
type Summary struct {
	RunID       string  `json:"runId,omitempty"`
	Task        int     `json:"task"`
	Tasks       int     `json:"tasks"`
	Mode        Mode    `json:"mode"`
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	Dropped     int64   `json:"dropped"`
	ErrorRate   float64 `json:"errorRate"`
	RPS         float64 `json:"rps"`
	P50Ms       float64 `json:"p50Ms"`
	P90Ms       float64 `json:"p90Ms"`
	P99Ms       float64 `json:"p99Ms"`
	MaxMs       float64 `json:"maxMs"`
	HoldSeconds float64 `json:"holdSeconds"`
	Interrupted bool    `json:"interrupted,omitempty"`
}

// Summary returns the result's summary.
func (r Result) Summary() Summary {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Summary{
		RunID:       r.RunID,
		Task:        r.Task,
		Tasks:       r.Tasks,
		Mode:        r.Mode,
		Requests:    r.Counts.Requests,
		Errors:      r.Counts.Errors(),
		Dropped:     r.Counts.Dropped,
		ErrorRate:   r.Counts.ErrorRate(),
		RPS:         r.Throughput(),
		P50Ms:       ms(r.Latency.Quantile(0.50)),
		P90Ms:       ms(r.Latency.Quantile(0.90)),
		P99Ms:       ms(r.Latency.Quantile(0.99)),
		MaxMs:       ms(r.Latency.Max()),
		HoldSeconds: r.Hold.Seconds(),
		Interrupted: r.Interrupted,
	}
}
