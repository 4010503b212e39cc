package states

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	mathrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// DefaultMaxHistory is Step Functions' limit of events in one execution's
// history.
const DefaultMaxHistory = 25000

// DefaultRetainFinished is how many finished executions an engine keeps by
// default: plenty for the CLI and the local stack, which look executions up
// by ARN after they end, while a long-lived engine's memory stays bounded.
const DefaultRetainFinished = 10000

// MaxPayloadSize is Step Functions' limit on a state's input or output, in
// bytes of UTF-8 JSON.
const MaxPayloadSize = 256 * 1024

// Error names returned by the task-token API, as Step Functions names them.
const (
	ErrTaskDoesNotExist = "TaskDoesNotExist"
	ErrInvalidToken     = "InvalidToken"
	ErrTaskTimedOut     = "TaskTimedOut"
	ErrInvalidOutput    = "InvalidOutput"
	ErrInvalidInput     = "InvalidExecutionInput"
	ErrNotFound         = "StateMachineDoesNotExist"
)

// Random is the source of randomness for retry jitter and task tokens.
type Random interface {
	// Float64 returns a pseudo-random number in [0, 1).
	Float64() float64
}

// HistoryMode says what an execution keeps of its history.
type HistoryMode int

const (
	// HistoryFull stores every event; Execution.History returns them.
	HistoryFull HistoryMode = iota
	// HistoryCount counts events without storing them (nor taking their
	// timestamps): executions behave exactly as with HistoryFull,
	// including failing at the MaxHistory limit with the same error, but
	// Execution.History returns nil. Execution.HistoryLen still reports
	// the number of events.
	HistoryCount
)

// Options configure an Engine. The zero value works: a virtual clock
// starting now, no task handlers, and Step Functions' limits.
type Options struct {
	// Clock supplies time; nil means a virtual clock starting at the
	// current wall-clock time.
	Clock Clock
	// Tasks resolves Task resources to handlers.
	Tasks TaskResolver
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// MaxHistory caps the events of one execution; 0 means 25,000.
	MaxHistory int
	// History says what executions keep of their history: HistoryFull
	// (the zero value) stores every event for Execution.History;
	// HistoryCount only counts events, so MaxHistory still fails an
	// execution exactly as with HistoryFull, and History returns nil.
	History HistoryMode
	// StateMachines are the machines states:startExecution can start, by ARN.
	StateMachines map[string]*StateMachine
	// Random drives retry jitter; nil uses math/rand.
	Random Random
	// RetainFinished is how many finished executions the engine keeps for
	// lookup by ARN (Execution, and task tokens that timed out); older ones
	// are forgotten, oldest first. Running executions are always kept. 0
	// means DefaultRetainFinished; a negative value keeps every execution.
	RetainFinished int
	// Region and Account build ARNs; they default to us-east-1 and
	// 123456789012.
	Region  string
	Account string
}

// Engine runs executions of state machines. It is safe for concurrent use.
type Engine struct {
	clock   Clock
	tasks   TaskResolver
	log     *slog.Logger
	maxHist int
	count   bool // HistoryCount: count events, store none
	rnd     Random
	region  string
	account string
	// defSMArn and defRole are the ARNs executions get when StartInput
	// names none.
	defSMArn, defRole string

	mu       sync.Mutex
	machines map[string]*StateMachine
	tokens   map[string]*taskToken
	execs    map[string]*Execution
	retain   int
	// finished lists finished executions, oldest first, from finished[head].
	finished []*Execution
	head     int
}

// New returns an engine configured by opts.
func New(opts Options) *Engine {
	e := &Engine{
		clock:    opts.Clock,
		tasks:    opts.Tasks,
		log:      opts.Logger,
		maxHist:  opts.MaxHistory,
		count:    opts.History == HistoryCount,
		rnd:      opts.Random,
		region:   opts.Region,
		account:  opts.Account,
		machines: map[string]*StateMachine{},
		tokens:   map[string]*taskToken{},
		execs:    map[string]*Execution{},
		retain:   opts.RetainFinished,
	}
	if e.retain == 0 {
		e.retain = DefaultRetainFinished
	}
	if e.clock == nil {
		e.clock = NewVirtualClock(time.Now().UTC().Truncate(time.Millisecond))
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.maxHist <= 0 {
		e.maxHist = DefaultMaxHistory
	}
	e.maxHist = min(e.maxHist, math.MaxInt32) // event ids are stored as int32
	if e.rnd == nil {
		e.rnd = mathrand.New(mathrand.NewPCG(mathrand.Uint64(), mathrand.Uint64()))
	}
	// Retries of concurrent executions and branches draw jitter at once.
	e.rnd = &lockedRandom{r: e.rnd}
	if e.region == "" {
		e.region = "us-east-1"
	}
	if e.account == "" {
		e.account = "123456789012"
	}
	e.defSMArn = "arn:aws:states:" + e.region + ":" + e.account + ":stateMachine:StateMachine"
	e.defRole = "arn:aws:iam::" + e.account + ":role/StepFunctionsRole"
	for arn, sm := range opts.StateMachines {
		e.machines[arn] = sm
	}
	return e
}

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

// Register makes sm startable by arn through states:startExecution.
func (e *Engine) Register(arn string, sm *StateMachine) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.machines[arn] = sm
}

// StateMachine returns the machine registered under arn.
func (e *Engine) StateMachine(arn string) (*StateMachine, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sm, ok := e.machines[arn]
	return sm, ok
}

// Execution returns a started execution by its ARN.
func (e *Engine) Execution(arn string) (*Execution, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.execs[arn]
	return x, ok
}

// StartInput names and feeds an execution.
type StartInput struct {
	// Name is the execution name; empty means a random UUID-like name.
	Name string
	// Input is the JSON input; empty means {}.
	Input []byte
	// StateMachineArn identifies the machine in ARNs and the context
	// object; empty means a default ARN.
	StateMachineArn string
	// RoleArn appears in the context object.
	RoleArn string
}

// Result is the outcome of an execution, as DescribeExecution reports it.
type Result struct {
	Status string
	Output json.RawMessage
	Error  string
	Cause  string
}

// Start begins an execution of sm and returns at once. An input that is not
// JSON is a *failure.Error named InvalidExecutionInput.
func (e *Engine) Start(ctx context.Context, sm *StateMachine, in StartInput) (*Execution, error) {
	x, err := e.newExecution(ctx, sm, in)
	if err != nil {
		return nil, err
	}
	e.clock.Spawn()
	go x.run()
	return x, nil
}

func (e *Engine) newExecution(ctx context.Context, sm *StateMachine, in StartInput) (*Execution, error) {
	raw := in.Input
	if len(strings.TrimSpace(string(raw))) == 0 {
		raw = []byte("{}")
	}
	input, err := jsonvalue.Decode(raw)
	if err != nil {
		return nil, failure.Newf(ErrInvalidInput, "Invalid State Machine Execution Input: %s", err)
	}
	if len(raw) > MaxPayloadSize {
		return nil, failure.New(ErrInvalidInput, "The input size exceeds the maximum number of bytes service limit")
	}
	smArn := in.StateMachineArn
	if smArn == "" {
		smArn = e.defSMArn
	}
	smName := smArn[strings.LastIndex(smArn, ":")+1:]
	name := in.Name
	if name == "" {
		name = newUUID()
	}
	role := in.RoleArn
	if role == "" {
		role = e.defRole
	}
	root := newRootScope(context.WithoutCancel(ctx), e.clock)
	x := &Execution{
		engine:   e,
		sm:       sm,
		name:     name,
		arn:      "arn:aws:states:" + e.region + ":" + e.account + ":execution:" + smName + ":" + name,
		smArn:    smArn,
		smName:   smName,
		roleArn:  role,
		input:    input,
		inputRaw: append([]byte(nil), raw...),
		start:    e.clock.Now(),
		root:     root,
		done:     make(chan struct{}),
	}
	x.result.Status = StatusRunning
	x.events.hint = int(sm.histHint.Load())
	e.mu.Lock()
	e.execs[x.arn] = x
	e.mu.Unlock()
	return x, nil
}

// Run starts an execution and waits for its result.
func (e *Engine) Run(ctx context.Context, sm *StateMachine, in StartInput) (*Execution, Result, error) {
	if sm.root.pure && sm.timeoutSeconds == 0 {
		// Nothing can wait: run in the caller's goroutine.
		x, err := e.newExecution(ctx, sm, in)
		if err != nil {
			return nil, Result{}, err
		}
		e.clock.Spawn()
		x.run()
		return x, x.Status(), nil
	}
	x, err := e.Start(ctx, sm, in)
	if err != nil {
		return nil, Result{}, err
	}
	res, err := x.Wait(ctx)
	return x, res, err
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Execution is one run of a state machine.
type Execution struct {
	engine   *Engine
	sm       *StateMachine
	name     string
	arn      string
	smArn    string
	smName   string
	roleArn  string
	input    any
	inputRaw []byte
	start    time.Time

	root *cancelScope
	done chan struct{}

	mu      sync.Mutex
	events  eventLog
	stopped *failure.Error // set by Stop
	timeout bool           // set when the execution timed out
	result  Result
	stopAt  time.Time
	limit   bool // history limit reached
	// counted is the number of history events when the engine only counts
	// them (HistoryCount); events.n stays 0 then. While fanout is zero only
	// the execution's one running thread touches it, with plain reads and
	// writes; while a Parallel or Map state runs threads at once (fanout >
	// 0) every access is atomic. Starting and joining the fan-out's
	// goroutines orders the two phases.
	counted int64
	fanout  atomic.Int32

	// staleTokens are this execution's timed-out task tokens, which the
	// engine keeps (guarded by Engine.mu) until it forgets the execution.
	staleTokens []string
}

// Name returns the execution's name.
func (x *Execution) Name() string { return x.name }

// ARN returns the execution's ARN.
func (x *Execution) ARN() string { return x.arn }

// StateMachineARN returns the ARN of the machine the execution runs.
func (x *Execution) StateMachineARN() string { return x.smArn }

// Input returns the execution's input text as it was given, as
// DescribeExecution does.
func (x *Execution) Input() []byte { return x.inputRaw }

// StartDate returns when the execution started.
func (x *Execution) StartDate() time.Time { return x.start }

// StopDate returns when the execution ended; zero while it runs.
func (x *Execution) StopDate() time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.stopAt
}

// Done is closed when the execution has ended.
func (x *Execution) Done() <-chan struct{} { return x.done }

// Wait blocks until the execution ends or ctx is done.
func (x *Execution) Wait(ctx context.Context) (Result, error) {
	select {
	case <-x.done:
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.result, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Status returns the current result; Status is RUNNING until it ends.
func (x *Execution) Status() Result {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.result
}

// Stop aborts a running execution with the given error and cause, as
// StopExecution does. Stopping an ended execution does nothing.
func (x *Execution) Stop(errName, cause string) {
	x.mu.Lock()
	if x.result.Status != StatusRunning || x.stopped != nil {
		x.mu.Unlock()
		return
	}
	x.stopped = &failure.Error{Name: errName, Cause: cause}
	x.mu.Unlock()
	x.root.cancel()
}

func (x *Execution) run() {
	clock := x.engine.clock
	defer close(x.done)
	startID := x.record(0, event{info: infoExecutionStarted, payload: rawJSON(x.inputRaw), hasPay: true})
	if x.sm.timeoutSeconds > 0 {
		t := clock.NewTimer(x.start.Add(time.Duration(x.sm.timeoutSeconds) * time.Second))
		go x.watchTimeout(t)
	}
	th := &thread{x: x, cs: x.root, prev: startID, scope: &scope{}}
	out, ferr := th.runGraph(x.sm.root, x.input)
	x.finish(th, out, ferr)
	clock.Park()
}

func (x *Execution) watchTimeout(t Timer) {
	clock := x.engine.clock
	select {
	case <-t.C():
		x.mu.Lock()
		if x.result.Status == StatusRunning && x.stopped == nil {
			x.timeout = true
		}
		x.mu.Unlock()
		x.root.cancel()
		clock.Park()
	case <-x.done:
		t.Stop()
	}
}

func (x *Execution) finish(th *thread, out any, ferr *failure.Error) {
	x.mu.Lock()
	stopped, timedOut, limit := x.stopped, x.timeout, x.limit
	x.mu.Unlock()
	res := Result{}
	switch {
	case limit:
		res = Result{Status: StatusFailed, Error: failure.Runtime, Cause: historyLimitCause(x.engine.maxHist)}
		x.forceRecord(th.prev, event{typ: "ExecutionFailed", errName: res.Error, cause: res.Cause})
	case timedOut:
		// DescribeExecution reports no error or cause for a timed-out
		// execution; only the history event names States.Timeout, and it
		// follows no event of the execution's own.
		res = Result{Status: StatusTimedOut}
		x.forceRecord(0, event{typ: "ExecutionTimedOut", errName: failure.Timeout})
	case stopped != nil:
		res = Result{Status: StatusAborted, Error: stopped.Name, Cause: stopped.Cause}
		x.forceRecord(0, event{typ: "ExecutionAborted", errName: res.Error, cause: res.Cause})
	case ferr != nil:
		res = Result{Status: StatusFailed, Error: ferr.Name, Cause: ferr.Cause}
		x.forceRecord(th.prev, event{typ: "ExecutionFailed", errName: res.Error, cause: res.Cause})
	default:
		b, err := jsonvalue.Marshal(out)
		if err != nil {
			res = Result{Status: StatusFailed, Error: failure.Runtime, Cause: err.Error()}
			break
		}
		res = Result{Status: StatusSucceeded, Output: b}
		x.forceRecord(th.prev, event{typ: "ExecutionSucceeded", text: string(b)})
	}
	x.mu.Lock()
	x.result = res
	x.stopAt = x.engine.clock.Now()
	if !x.engine.count {
		x.sm.histHint.Store(int64(x.events.n))
		x.events.trim()
	}
	x.mu.Unlock()
	x.root.cancel()
	x.engine.retire(x)
	x.engine.log.Debug("execution ended", "execution", x.arn, "status", res.Status, "error", res.Error)
}

// retire records that x finished and forgets the oldest finished
// executions beyond the retention limit.
func (e *Engine) retire(x *Execution) {
	if e.retain < 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.finished = append(e.finished, x)
	for len(e.finished)-e.head > e.retain {
		old := e.finished[e.head]
		e.finished[e.head] = nil
		e.head++
		if e.execs[old.arn] == old {
			delete(e.execs, old.arn)
		}
		for _, tok := range old.staleTokens {
			delete(e.tokens, tok)
		}
	}
	if e.head > 64 && e.head*2 > len(e.finished) {
		n := copy(e.finished, e.finished[e.head:])
		clear(e.finished[n:])
		e.finished, e.head = e.finished[:n], 0
	}
}

func historyLimitCause(n int) string {
	return fmt.Sprintf("The execution reached the maximum number of history events (%d).", n)
}

// lockedRandom serializes a Random's draws: neither math/rand's *Rand nor
// a caller's Random need be safe for concurrent use.
type lockedRandom struct {
	mu sync.Mutex
	r  Random
}

func (l *lockedRandom) Float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}
