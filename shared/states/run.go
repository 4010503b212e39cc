package states

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
)

// errAborted marks a thread stopped because its execution or a sibling
// ended; it never reaches the execution's result.
var errAborted = &failure.Error{Name: "States.Aborted"}

// thread is one sequential line of execution: the machine itself, a
// Parallel branch or a Map iteration.
type thread struct {
	x     *Execution
	cs    *cancelScope
	prev  int64
	scope *scope
	// sr is reused for every state the thread runs: a thread runs one
	// state at a time and nothing keeps a stateRun past its state.
	sr stateRun
	// owned is the object the previous state of this graph returned when
	// nothing else can reference it: a fresh copy made by a Pass state's
	// ResultPath (passResult.member) while history is only counted, so no
	// event keeps it. The next state, if it is such a Pass state too, may
	// write its member in place instead of copying the object again. A
	// Pass state takes it (passState.run); it is cleared before every
	// other state and at the start of every graph.
	owned *jsonvalue.Object
}

func (th *thread) context() context.Context { return th.cs.ctx }

func (th *thread) record(e event) int64 {
	th.prev = th.x.record(th.prev, e)
	return th.prev
}

// scope holds the variables a thread can see.
type scope struct {
	parent *scope
	vars   map[string]any
}

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) set(name string, v any) {
	if s.vars == nil {
		s.vars = map[string]any{}
	}
	s.vars[name] = v
}

// stateRun is one entry into a state.
type stateRun struct {
	th        *thread
	st        *state
	enteredID int64
	entered   time.Time
	raw       any // the state's raw input
	retries   int
	token     string
	// ctxObj is the context object ($$) of this attempt, built once;
	// vars are the JSONata bindings of this attempt without a result,
	// error output or Map item (sr.bindings). Both are reset when the
	// attempt or the variables change.
	ctxObj *jsonvalue.Object
	vars   map[string]any
}

// evalEnv resolves paths for templates, intrinsics and choice rules.
type evalEnv struct {
	sr      *stateRun
	input   any
	mapItem *mapItem
}

type mapItem struct {
	index int
	value any
}

var _ payload.Env = (*evalEnv)(nil)

// Lookup resolves $, $$ and $variable paths.
func (e *evalEnv) Lookup(p *jsonpath.Path) (any, error) {
	switch p.Root() {
	case "$":
		if e.input == nil {
			return nil, errNullInput
		}
		return p.Get(e.input)
	case "$$":
		return p.Get(e.sr.contextObject(e.mapItem))
	default:
		v, ok := e.sr.th.scope.lookup(p.Root())
		if !ok {
			return nil, fmt.Errorf("%w: variable $%s is not defined", jsonpath.ErrNotFound, p.Root())
		}
		return p.Get(v)
	}
}

// Input returns the document "$" refers to.
func (e *evalEnv) Input() any { return e.input }

// contextObject builds $$ for the current state entry.
func (sr *stateRun) contextObject(item *mapItem) any {
	if sr.ctxObj != nil && item == nil {
		return sr.ctxObj
	}
	// Field order as Step Functions prints the object (recorded on AWS:
	// Execution, StateMachine, State; RetryCount only in the states that
	// can retry).
	x := sr.th.x
	exec := jsonvalue.NewObject(6)
	exec.Set("Id", x.arn)
	exec.Set("Input", x.input)
	exec.Set("StartTime", isoTime(x.start))
	exec.Set("Name", x.name)
	exec.Set("RoleArn", x.roleArn)
	exec.Set("RedriveCount", jsonvalue.Number("0"))
	stateObj := jsonvalue.NewObject(3)
	stateObj.Set("Name", sr.st.name)
	stateObj.Set("EnteredTime", isoTime(sr.entered))
	switch sr.st.typ {
	case typeTask, typeParallel, typeMap:
		stateObj.Set("RetryCount", jsonvalue.Number(strconv.Itoa(sr.retries)))
	}
	sm := jsonvalue.NewObject(2)
	sm.Set("Id", x.smArn)
	sm.Set("Name", x.smName)
	root := jsonvalue.NewObject(5)
	root.Set("Execution", exec)
	root.Set("StateMachine", sm)
	root.Set("State", stateObj)
	if sr.token != "" {
		task := jsonvalue.NewObject(1)
		task.Set("Token", sr.token)
		root.Set("Task", task)
	}
	if item != nil {
		it := jsonvalue.NewObject(2)
		it.Set("Index", jsonvalue.Number(strconv.Itoa(item.index)))
		it.Set("Value", item.value)
		m := jsonvalue.NewObject(1)
		m.Set("Item", it)
		root.Set("Map", m)
		return root
	}
	sr.ctxObj = root
	return root
}

// resetContext drops the context object and the bindings built from it,
// for a new attempt or a new task token.
func (sr *stateRun) resetContext() { sr.ctxObj, sr.vars = nil, nil }

// isoTime formats t like Java's Instant.toString, as Step Functions does.
func isoTime(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	switch {
	case ns == 0:
		return t.Format("2006-01-02T15:04:05Z")
	case ns%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case ns%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	default:
		return t.Format("2006-01-02T15:04:05.000000000Z")
	}
}

// fail turns err into the state's failure, adding Step Functions' prefix to
// States.Runtime causes.
func (sr *stateRun) fail(err error) *failure.Error {
	var fe *failure.Error
	if !errors.As(err, &fe) {
		fe = &failure.Error{Name: failure.Runtime, Cause: err.Error()}
	}
	if fe == errAborted {
		return fe
	}
	if (fe.Name == failure.Runtime || fe.Name == failure.QueryEvaluationError) && !strings.HasPrefix(fe.Cause, "An error occurred while executing the state") {
		return &failure.Error{Name: fe.Name, Cause: sr.prefix() + fe.Cause}
	}
	return fe
}

func (sr *stateRun) prefix() string {
	return fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). ", sr.st.name, sr.enteredID)
}

// errNullInput is what Step Functions raises when a path is applied to a
// null state input.
var errNullInput = &failure.Error{Name: failure.Runtime, Cause: "Unable to apply Path transformation to null or empty input."}

// pathNotFound is Step Functions' cause for a reference-path field
// (ErrorPath, CausePath, TimeoutSecondsPath, ...) that selects nothing in
// input.
func pathNotFound(p *jsonpath.Path, field string, input any) *failure.Error {
	b, _ := jsonvalue.Marshal(input)
	return runtimeError("The JSONPath '" + p.String() + "' specified for the field '" + field + "' could not be found in the input '" + string(b) + "'")
}

func runtimeError(cause string) *failure.Error {
	return &failure.Error{Name: failure.Runtime, Cause: cause}
}

func (sr *stateRun) env(input any) *evalEnv { return &evalEnv{sr: sr, input: input} }

func (sr *stateRun) checkSize(v any, what string) *failure.Error {
	if jsonvalue.Exceeds(v, MaxPayloadSize) {
		return &failure.Error{Name: failure.DataLimitExceeded, Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", what)}
	}
	return nil
}

// runGraph runs g from its start with input until a terminal state.
func (th *thread) runGraph(g *graph, input any) (any, *failure.Error) {
	st := g.start
	th.owned = nil
	ctx := th.context()
	for {
		if ctx.Err() != nil {
			return nil, errAborted
		}
		out, next, ferr := th.runState(st, input)
		if ferr != nil {
			return nil, ferr
		}
		if next == nil {
			return out, nil
		}
		st, input = next, out
	}
}

func (th *thread) runState(st *state, input any) (any, *state, *failure.Error) {
	x := th.x
	sr := &th.sr
	*sr = stateRun{th: th, st: st, entered: x.engine.clock.Now(), raw: input}
	if _, isPass := st.kind.(*passState); !isPass {
		// A Pass state takes the owned object itself (passState.run).
		th.owned = nil
	}
	sr.enteredID = th.record(event{info: st.entered, payload: input, hasPay: true, ts: sr.entered})
	var (
		out  any
		next *state
		ferr *failure.Error
	)
	out, next, ferr = st.kind.run(sr)
	if ferr != nil {
		return nil, nil, ferr
	}
	if th.context().Err() != nil {
		return nil, nil, errAborted
	}
	th.record(event{info: st.exited, payload: out, hasPay: true})
	return out, next, nil
}

func nonNegativeInt(v any) (int64, bool) {
	n, ok := v.(jsonvalue.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return 0, false
		}
		return int64(f), true
	}
	return i, i >= 0
}

// sleepUntil parks the thread until the clock reaches at or the thread is
// cancelled.
func (th *thread) sleepUntil(at time.Time) error {
	clock := th.x.engine.clock
	t := clock.NewTimer(at)
	w := &waiter{}
	if !th.cs.park(w) {
		t.Stop()
		return context.Canceled
	}
	var err error
	select {
	case <-t.C():
	case <-th.cs.done():
		err = context.Canceled
	}
	credits := 0
	if t.Stop() {
		credits++
	}
	if th.cs.unpark(w) {
		credits++
	}
	settleCredits(clock, credits)
	return err
}
