package synthetic

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// JobKind names the synthetic function's jobs (a selfinvoke envelope).
const JobKind = "synthetic-traffic"

// Job is one run of synthetic traffic, as the synthetic function is
// invoked with it.
type Job struct {
	// Target is the release target's name (the run's key in the table).
	Target string `json:"target"`
	// Function is the Lambda function; Candidate and Baseline its versions.
	Function  string `json:"function"`
	Candidate string `json:"candidate"`
	Baseline  string `json:"baseline"`
	// RPS caps the requests per second, both versions together.
	RPS int `json:"rps"`
	// Until is when the run ends at the latest.
	Until time.Time `json:"until"`
	// RunID is the run's id in the table.
	RunID string `json:"runId"`
	// Event is each invocation's payload; empty means {}.
	Event json.RawMessage `json:"event,omitempty"`
	// Sent is how many requests the run had sent when this link was
	// handed the job. The table's count is the authority: it keeps the
	// alternation going across links.
	Sent int64 `json:"sent,omitempty"`
}

func (j Job) validate() error {
	switch {
	case j.Target == "" || j.Function == "" || j.Candidate == "" || j.Baseline == "" || j.RunID == "":
		return fmt.Errorf("synthetic job: target, function, candidate, baseline and run id are required (got %+v)", j)
	case j.RPS < 1:
		return fmt.Errorf("synthetic job for %s: rps must be at least 1, got %d", j.Target, j.RPS)
	case j.Until.IsZero():
		return fmt.Errorf("synthetic job for %s: until is required", j.Target)
	}
	return nil
}

// InvokeAPI is the Lambda call the Sender makes.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Counter keeps a run's sent count (*store.Store has it).
type Counter interface {
	// AddSyntheticSent adds n to the run's count and returns the total;
	// stop is true when the run was stopped or replaced.
	AddSyntheticSent(ctx context.Context, target, runID string, n int64) (total int64, stop bool, err error)
}

// Chainer hands a job to a new invocation of the synthetic function
// (selfinvoke.Sender has it).
type Chainer interface {
	Send(ctx context.Context, job any) error
}

// DefaultMargin is how long before its invocation's deadline a Sender
// hands the rest of its run to the next link: a second's requests, each
// bounded by InvokeTimeout, must fit in it.
const DefaultMargin = 45 * time.Second

// InvokeTimeout bounds one synthetic invocation.
const InvokeTimeout = 20 * time.Second

// maxInFlight bounds the invocations a Sender has open at once.
const maxInFlight = 16

// Sender runs one link of a synthetic run's chain.
type Sender struct {
	Lambda  InvokeAPI
	Counter Counter
	Chain   Chainer
	// Now is the clock at the start (nil: time.Now); Tick returns a
	// channel that ticks every second, with the time, and its stop (nil: a
	// time.Ticker).
	Now  func() time.Time
	Tick func() (<-chan time.Time, func())
	// Margin is DefaultMargin when zero.
	Margin time.Duration
	Logger *slog.Logger
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) ticker() (<-chan time.Time, func()) {
	if s.Tick != nil {
		return s.Tick()
	}
	t := time.NewTicker(time.Second)
	return t.C, t.Stop
}

// Run sends job's requests, one second's worth (job.RPS) per tick, until
// the run is stopped or replaced, until job.Until, or until ctx's deadline
// is less than the margin away, when it chains the rest of the run to a
// new invocation. It returns the first error that stops it.
func (s *Sender) Run(ctx context.Context, job Job) error {
	if err := job.validate(); err != nil {
		return err
	}
	margin := s.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}
	deadline, hasDeadline := ctx.Deadline()
	ticks, stop := s.ticker()
	defer stop()
	var pending int64
	sent := job.Sent
	now := s.now() // then each tick's time
	for {
		total, stopped, err := s.Counter.AddSyntheticSent(ctx, job.Target, job.RunID, pending)
		if err != nil {
			return err
		}
		if stopped {
			s.log(ctx, "synthetic run stopped", job, sent+pending)
			return nil
		}
		sent, pending = total, 0
		if !now.Before(job.Until) {
			s.log(ctx, "synthetic run reached its end", job, sent)
			return nil
		}
		if hasDeadline && !now.Before(deadline.Add(-margin)) {
			next := job
			next.Sent = sent
			if err := s.Chain.Send(ctx, next); err != nil {
				return fmt.Errorf("synthetic run %s on %s: hand over to the next invocation: %w", job.RunID, job.Target, err)
			}
			s.log(ctx, "synthetic run handed to the next invocation", job, sent)
			return nil
		}
		pending = s.burst(ctx, job, sent)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now = <-ticks:
		}
	}
}

func (s *Sender) log(ctx context.Context, msg string, job Job, sent int64) {
	if s.Logger != nil {
		s.Logger.InfoContext(ctx, msg, "target", job.Target, "runId", job.RunID, "sent", sent)
	}
}

// burst sends job.RPS invocations, the first to the candidate when sent is
// even, alternating, and returns how many Lambda accepted (a function
// error is a request the version served badly, which analysis must see;
// an API error, such as a throttle, is no request).
func (s *Sender) burst(ctx context.Context, job Job, sent int64) int64 {
	payload := []byte(job.Event)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int64
		failures []error
	)
	slots := make(chan struct{}, min(job.RPS, maxInFlight))
	for i := range int64(job.RPS) {
		version := job.Candidate
		if (sent+i)%2 == 1 {
			version = job.Baseline
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			ictx, cancel := context.WithTimeout(ctx, InvokeTimeout)
			defer cancel()
			_, err := s.Lambda.Invoke(ictx, &lambda.InvokeInput{FunctionName: aws.String(job.Function), Qualifier: aws.String(version),
				InvocationType: types.InvocationTypeRequestResponse, Payload: payload})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, fmt.Errorf("invoke %s:%s: %w", job.Function, version, err))
				return
			}
			accepted++
		}()
	}
	wg.Wait()
	if len(failures) > 0 && s.Logger != nil {
		s.Logger.WarnContext(ctx, "synthetic invocations failed", "target", job.Target, "failed", len(failures), "first", failures[0].Error())
	}
	return accepted
}
