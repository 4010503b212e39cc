package states

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
)

// Pattern is a service integration pattern of a Task resource.
type Pattern string

// Service integration patterns.
const (
	RequestResponse  Pattern = "RequestResponse"
	Sync             Pattern = "Sync"
	Sync2            Pattern = "Sync2"
	WaitForTaskToken Pattern = "WaitForTaskToken"
)

// TaskRequest is what a Task state asks its handler to do.
type TaskRequest struct {
	// Resource is the Task's Resource ARN as written, with any
	// .sync/.waitForTaskToken suffix.
	Resource string
	// StateName is the name of the Task state.
	StateName string
	// Pattern is the integration pattern the suffix selects.
	Pattern Pattern
	// Input is the effective input (after InputPath and Parameters).
	Input json.RawMessage
	// Token is the task token for the WaitForTaskToken pattern.
	Token string
	// TimeoutSeconds and HeartbeatSeconds are the state's limits (0: none).
	TimeoutSeconds   int64
	HeartbeatSeconds int64
	// ExecutionArn, ExecutionName and StateMachineArn identify the caller.
	ExecutionArn    string
	ExecutionName   string
	StateMachineArn string
	// RetryCount is the number of retries so far.
	RetryCount int
}

// TaskHandler performs Task states.
type TaskHandler interface {
	// Invoke runs the task and returns its JSON result. A *failure.Error
	// keeps its name and cause; any other error fails the task as
	// States.TaskFailed with the error text as cause. For WaitForTaskToken
	// the result is ignored and the task ends when the token is reported.
	Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error)
}

// TaskFunc adapts a function to TaskHandler.
type TaskFunc func(ctx context.Context, req TaskRequest) (json.RawMessage, error)

// Invoke calls f.
func (f TaskFunc) Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error) {
	return f(ctx, req)
}

// TaskResolver finds the handler for a Task resource.
type TaskResolver interface {
	// Resolve returns the handler for resource, or a *failure.Error to fail
	// the task with when there is none.
	Resolve(resource string) (TaskHandler, error)
}

// Registry is a TaskResolver that maps resources to handlers by exact ARN
// and by prefix (the longest registered prefix wins). It is safe for
// concurrent use.
type Registry struct {
	mu       sync.RWMutex
	exact    map[string]TaskHandler
	prefixes []prefixHandler
}

type prefixHandler struct {
	prefix string
	h      TaskHandler
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{exact: map[string]TaskHandler{}} }

// Handle registers h for exactly resource.
func (r *Registry) Handle(resource string, h TaskHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exact[resource] = h
}

// HandlePrefix registers h for every resource starting with prefix.
func (r *Registry) HandlePrefix(prefix string, h TaskHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prefixes = append(r.prefixes, prefixHandler{prefix, h})
	sort.SliceStable(r.prefixes, func(i, j int) bool { return len(r.prefixes[i].prefix) > len(r.prefixes[j].prefix) })
}

// Resolve returns the handler for resource: an exact match, else the longest
// matching prefix. An unknown resource is a States.Runtime failure.
func (r *Registry) Resolve(resource string) (TaskHandler, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if h, ok := r.exact[resource]; ok {
		return h, nil
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(resource, p.prefix) {
			return p.h, nil
		}
	}
	return nil, failure.Newf(failure.Runtime, "No task handler is registered for resource '%s'", resource)
}

// resourceNames splits a resource into the resourceType and resource that
// Task* events report.
func resourceNames(res string) (legacyLambda bool, resourceType, resource string) {
	if strings.HasPrefix(res, "arn:aws:lambda:") {
		return true, "lambda", res
	}
	const svc = "arn:aws:states:::"
	if strings.HasPrefix(res, svc) {
		rest := res[len(svc):]
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			return false, rest[:i], rest[i+1:]
		}
		return false, rest, rest
	}
	if strings.Contains(res, ":activity:") {
		return false, "activity", res
	}
	return false, "", res
}

var taskType = stateType{
	fields:        set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign"),
	jsonataFields: set("Next", "End", "Arguments", "Output", "Assign", "Retry", "Catch", "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Credentials"),
	new:           func() stateKind { return &taskState{} },
}

// taskState is a Task state: it has its resource do the work.
type taskState struct {
	retrying
	resource           string
	pattern            Pattern
	timeout, heartbeat limit[int64]
	credentials        *payload.Template
}

func (k *taskState) parse(p *parser, st *state, o *jsonvalue.Object, loc string, jx exprs) {
	k.parseRetrying(p, o, loc)
	c := p.c
	res, ok := stringField(c, o, loc, "Resource", true)
	if ok {
		k.resource = res
		k.pattern = RequestResponse
		switch {
		case strings.HasSuffix(res, ".waitForTaskToken"):
			k.pattern = WaitForTaskToken
		case strings.HasSuffix(res, ".sync:2"):
			k.pattern = Sync2
		case strings.HasSuffix(res, ".sync"):
			k.pattern = Sync
		}
		if !strings.HasPrefix(res, "arn:") {
			c.add(CodeSchema, loc+"/Resource", "Value is not a valid resource ARN")
		}
	}
	const maxSeconds = 99999999
	_, hasT := o.Get("TimeoutSeconds")
	_, hasTP := o.Get("TimeoutSecondsPath")
	if hasT && hasTP {
		c.add(CodeSchema, loc, "Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' may be set")
	}
	_, hasH := o.Get("HeartbeatSeconds")
	_, hasHP := o.Get("HeartbeatSecondsPath")
	if hasH && hasHP {
		c.add(CodeSchema, loc, "Only one of 'HeartbeatSeconds' or 'HeartbeatSecondsPath' may be set")
	}
	if n, ok := intField(c, o, loc, "TimeoutSeconds", 1, maxSeconds); ok {
		k.timeout.lit, k.timeout.given = n, true
	}
	if n, ok := intField(c, o, loc, "HeartbeatSeconds", 1, maxSeconds); ok {
		k.heartbeat.lit, k.heartbeat.given = n, true
	}
	if k.timeout.lit > 0 && k.heartbeat.lit > 0 && k.heartbeat.lit >= k.timeout.lit {
		c.add(CodeSchema, loc+"/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
	k.timeout.path = p.refPath(o, loc, "TimeoutSecondsPath")
	k.heartbeat.path = p.refPath(o, loc, "HeartbeatSecondsPath")
	k.credentials = p.template(o, loc, "Credentials")
	k.timeout.expr, k.heartbeat.expr = jx["TimeoutSeconds"], jx["HeartbeatSeconds"]
}

// waits: a task may always wait for its resource.
func (*taskState) waits() bool { return true }

func (k *taskState) run(sr *stateRun) (any, *state, *failure.Error) {
	return sr.withRetry(&k.retrying, k)
}

func (k *taskState) work(sr *stateRun) (any, *failure.Error) {
	st := sr.st
	x := sr.th.x
	eng := x.engine
	if k.pattern == WaitForTaskToken {
		sr.token = newToken()
		sr.resetContext()
	}
	eff, params, ferr := sr.workInput()
	if ferr != nil {
		return nil, ferr
	}
	env := sr.env(eff)
	timeout, ferr := sr.taskLimit(k.timeout, "TimeoutSeconds", env, eff)
	if ferr != nil {
		return nil, ferr
	}
	heartbeat, ferr := sr.taskLimit(k.heartbeat, "HeartbeatSeconds", env, eff)
	if ferr != nil {
		return nil, ferr
	}
	in, err := jsonvalue.Marshal(params)
	if err != nil {
		return nil, sr.fail(err)
	}
	if len(in) > MaxPayloadSize {
		return nil, &failure.Error{Name: failure.DataLimitExceeded, Cause: fmt.Sprintf("The state/task '%s' has an input with a size exceeding the maximum number of bytes service limit.", st.name)}
	}
	legacy, rtype, rname := resourceNames(k.resource)
	info := &taskInfo{resourceType: rtype, resource: rname, region: eng.region, timeout: timeout, heartbeat: heartbeat}
	th := sr.th
	if legacy {
		th.record(event{typ: "LambdaFunctionScheduled", payload: params, hasPay: true, text: string(in), task: info})
		th.record(event{typ: "LambdaFunctionStarted", task: info})
	} else {
		th.record(event{typ: "TaskScheduled", payload: params, hasPay: true, text: string(in), task: info})
		th.record(event{typ: "TaskStarted", task: info})
	}
	req := TaskRequest{
		Resource: k.resource, StateName: st.name, Pattern: k.pattern, Input: in, Token: sr.token,
		TimeoutSeconds: timeout, HeartbeatSeconds: heartbeat,
		ExecutionArn: x.arn, ExecutionName: x.name, StateMachineArn: x.smArn, RetryCount: sr.retries,
	}
	out, terr := sr.invoke(req)
	if terr != nil {
		if terr == errAborted {
			return nil, terr
		}
		typ := "TaskFailed"
		if terr.Name == failure.Timeout || terr.Name == failure.HeartbeatTimeout {
			typ = "TaskTimedOut"
		}
		if legacy {
			typ = strings.Replace(typ, "Task", "LambdaFunction", 1)
		}
		th.record(event{typ: typ, errName: terr.Name, cause: terr.Cause, task: info})
		return nil, terr
	}
	if len(out) > MaxPayloadSize {
		ferr := &failure.Error{Name: failure.DataLimitExceeded, Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", k.resource)}
		return nil, ferr
	}
	result, err := jsonvalue.Decode(out)
	if err != nil {
		return nil, sr.fail(runtimeError(fmt.Sprintf("The task returned output that is not valid JSON: %v", err)))
	}
	if legacy {
		th.record(event{typ: "LambdaFunctionSucceeded", text: string(out), hasPay: true, task: info})
	} else {
		th.record(event{typ: "TaskSucceeded", text: string(out), hasPay: true, task: info})
	}
	return st.flow.finish(sr, produced{value: result, from: fromResult})
}

// taskLimit evaluates a Task's TimeoutSeconds or HeartbeatSeconds (field)
// for one attempt: a literal, an expression, or the field's …Path into eff.
func (sr *stateRun) taskLimit(l limit[int64], field string, env *evalEnv, eff any) (int64, *failure.Error) {
	switch {
	case l.expr != nil:
		return sr.jInt(l.expr, 0, field, 1)
	case l.path != nil:
		v, err := env.Lookup(l.path)
		if err != nil && err != errNullInput {
			return 0, sr.fail(pathNotFound(l.path, field+"Path", eff))
		}
		n, ok := nonNegativeInt(v)
		if err != nil || !ok || n < 1 {
			return 0, sr.fail(runtimeError("The " + field + "Path parameter does not reference a valid positive integer value: " + l.path.String()))
		}
		return n, nil
	}
	return l.lit, nil
}

// invoke calls the handler and waits for the outcome, enforcing the timeout
// and, for task tokens, the heartbeat.
func (sr *stateRun) invoke(req TaskRequest) (json.RawMessage, *failure.Error) {
	x := sr.th.x
	eng := x.engine
	clock := eng.clock
	if eng.tasks == nil {
		return nil, sr.fail(runtimeError(fmt.Sprintf("No task handler is registered for resource '%s'", req.Resource)))
	}
	h, err := eng.tasks.Resolve(req.Resource)
	if err != nil {
		return nil, sr.fail(err)
	}
	ctx, cancel := context.WithCancel(sr.th.context())
	defer cancel()
	start := clock.Now()
	var deadline, hbDeadline time.Time
	if req.TimeoutSeconds > 0 {
		deadline = start.Add(time.Duration(req.TimeoutSeconds) * time.Second)
	}

	var tok *taskToken
	if req.Pattern == WaitForTaskToken {
		tok = eng.registerToken(req.Token, x)
		defer eng.closeToken(req.Token)
		if req.HeartbeatSeconds > 0 {
			hbDeadline = start.Add(time.Duration(req.HeartbeatSeconds) * time.Second)
		}
	}

	type outcome struct {
		out json.RawMessage
		err error
	}
	var done chan outcome
	if deadline.IsZero() && tok == nil {
		// No timer can interrupt: call inline.
		out, err := h.Invoke(ctx, req)
		if err != nil {
			return nil, sr.taskError(err)
		}
		return out, nil
	}
	if tok == nil {
		done = make(chan outcome, 1)
		clock.Spawn()
		go func() {
			out, err := h.Invoke(ctx, req)
			done <- outcome{out, err}
		}()
	} else {
		// A handler that answers at once (a mock) supplies the callback
		// outcome; (nil, nil) means "wait for SendTaskSuccess/Failure".
		out, err := h.Invoke(ctx, req)
		if err != nil {
			return nil, sr.taskError(err)
		}
		if out != nil {
			return out, nil
		}
	}
	for {
		w := &waiter{}
		var tokC <-chan tokenMsg
		if tok != nil {
			// A report that arrived before this wait began (the handler
			// itself, or anything it triggered, answered the token) is
			// taken at once: no time passes while it is already there.
			// Checking and registering under the engine's lock means a
			// report either is found here or credits this waiter.
			var early *tokenMsg
			eng.mu.Lock()
			select {
			case m := <-tok.ch:
				early = &m
			default:
				tok.w = w
			}
			eng.mu.Unlock()
			if early != nil {
				if done, out, err := early.outcome(clock, req, &hbDeadline); done {
					return out, err
				}
				continue
			}
			tokC = tok.ch
		}
		var timeoutT, hbT Timer
		var timeoutC, hbC <-chan time.Time
		if !deadline.IsZero() {
			timeoutT = clock.NewTimer(deadline)
			timeoutC = timeoutT.C()
		}
		if !hbDeadline.IsZero() {
			hbT = clock.NewTimer(hbDeadline)
			hbC = hbT.C()
		}
		if !sr.th.cs.park(w) {
			if timeoutT != nil {
				timeoutT.Stop()
			}
			if hbT != nil {
				hbT.Stop()
			}
			if done != nil {
				go func() { <-done; clock.Park() }()
			}
			return nil, errAborted
		}
		var (
			res      *outcome
			msg      tokenMsg
			gotMsg   bool
			timedOut string
			aborted  bool
		)
		select {
		case o := <-done:
			res = &o
		case msg = <-tokC:
			gotMsg = true
		case <-timeoutC:
			timedOut = failure.Timeout
		case <-hbC:
			timedOut = failure.HeartbeatTimeout
		case <-ctx.Done():
			aborted = true
		}
		if timedOut != "" && tokC != nil {
			// A report that arrived at the same instant wins over the timer.
			select {
			case msg = <-tokC:
				gotMsg, timedOut = true, ""
			default:
			}
		}
		credits := 0
		if timeoutT != nil && timeoutT.Stop() {
			credits++
		}
		if hbT != nil && hbT.Stop() {
			credits++
		}
		if res != nil {
			// The handler's goroutine ends here; its activity becomes ours.
			credits++
		}
		if tok != nil {
			eng.mu.Lock()
			tok.w = nil
			eng.mu.Unlock()
		}
		if sr.th.cs.unpark(w) {
			credits++
		}
		settleCredits(clock, credits)
		switch {
		case aborted:
			if done != nil {
				go func() { <-done; clock.Park() }()
			}
			return nil, errAborted
		case timedOut != "":
			if done != nil {
				cancel()
				go func() { <-done; clock.Park() }()
			}
			if tok != nil {
				eng.timeoutToken(req.Token)
			}
			return nil, &failure.Error{Name: timedOut}
		case res != nil:
			if res.err != nil {
				return nil, sr.taskError(res.err)
			}
			return res.out, nil
		case gotMsg:
			if done, out, err := msg.outcome(clock, req, &hbDeadline); done {
				return out, err
			}
		}
	}
}

func (sr *stateRun) taskError(err error) *failure.Error {
	var fe *failure.Error
	if errors.As(err, &fe) {
		if fe.Name == failure.Runtime {
			return sr.fail(fe)
		}
		return fe
	}
	if errors.Is(err, context.Canceled) {
		return errAborted
	}
	return &failure.Error{Name: failure.TaskFailed, Cause: err.Error()}
}

// outcome is what a report does to the waiting task: a heartbeat restarts
// the heartbeat timer (done false: wait on), a success or failure ends the
// task.
func (m tokenMsg) outcome(clock Clock, req TaskRequest, hbDeadline *time.Time) (done bool, out json.RawMessage, err *failure.Error) {
	switch m.kind {
	case tokenHeartbeat:
		*hbDeadline = time.Time{}
		if req.HeartbeatSeconds > 0 {
			*hbDeadline = clock.Now().Add(time.Duration(req.HeartbeatSeconds) * time.Second)
		}
		return false, nil, nil
	case tokenFailure:
		return true, nil, m.err
	}
	return true, m.output, nil
}

type tokenKind int

const (
	tokenSuccess tokenKind = iota
	tokenFailure
	tokenHeartbeat
)

type tokenMsg struct {
	kind   tokenKind
	output json.RawMessage
	err    *failure.Error
}

type taskToken struct {
	w        *waiter // the parked task, if any; guarded by Engine.mu
	ch       chan tokenMsg
	x        *Execution
	closed   bool
	timedOut bool
}

const tokenPrefix = "AQB"

func newToken() string {
	var b [96]byte
	_, _ = rand.Read(b[:])
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func (e *Engine) registerToken(token string, x *Execution) *taskToken {
	t := &taskToken{ch: make(chan tokenMsg, 16), x: x}
	e.mu.Lock()
	e.tokens[token] = t
	e.mu.Unlock()
	return t
}

// closeToken forgets a finished task's token; a timed-out token is kept so
// late reports get TaskTimedOut rather than TaskDoesNotExist.
func (e *Engine) closeToken(token string) {
	e.mu.Lock()
	if t, ok := e.tokens[token]; ok {
		t.closed = true
		if !t.timedOut {
			delete(e.tokens, token)
		}
	}
	e.mu.Unlock()
}

func (e *Engine) timeoutToken(token string) {
	e.mu.Lock()
	if t, ok := e.tokens[token]; ok && !t.timedOut {
		t.timedOut = true
		if t.x != nil {
			t.x.staleTokens = append(t.x.staleTokens, token)
		}
	}
	e.mu.Unlock()
}

func (e *Engine) deliver(token string, msg tokenMsg) error {
	if len(token) < len(tokenPrefix)+1 || len(token) > 1024 || !strings.HasPrefix(token, tokenPrefix) {
		return tokenError(release.ErrInvalid, failure.New(ErrInvalidToken, "Invalid token"))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[token]
	switch {
	case !ok:
		return tokenError(release.ErrConflict, failure.New(ErrTaskDoesNotExist, "Task does not exist anymore"))
	case t.timedOut:
		return tokenError(release.ErrConflict, failure.New(ErrTaskTimedOut, "Task Timed Out"))
	case t.closed:
		return tokenError(release.ErrConflict, failure.New(ErrTaskDoesNotExist, "Task does not exist anymore"))
	}
	if msg.kind != tokenHeartbeat {
		t.closed = true
	}
	select {
	case t.ch <- msg:
		if t.w != nil {
			t.w.credit(e.clock)
		}
	default:
		if msg.kind != tokenHeartbeat {
			return tokenError(release.ErrConflict, failure.New(ErrTaskDoesNotExist, "Task does not exist anymore"))
		}
	}
	return nil
}

// tokenError is a refusal of the task token API: errors.As finds the
// *failure.Error named as Step Functions names it, and errors.Is matches
// kind, the same release error kind shared/sfn answers with on AWS (the
// control.TaskCallbacks contract, shared/control/callbackstest).
func tokenError(kind error, fe *failure.Error) error {
	return release.Errorf(kind, "%w", fe)
}

// SendTaskSuccess completes the waitForTaskToken task holding token with
// output. Errors match *failure.Error named InvalidToken, TaskDoesNotExist,
// TaskTimedOut or InvalidOutput, as Step Functions names them, and a release
// error kind: release.ErrConflict for a task that already ended (timed out,
// completed, or never existed), release.ErrInvalid for a malformed token or
// output.
func (e *Engine) SendTaskSuccess(ctx context.Context, token string, output []byte) error {
	if _, err := jsonvalue.Decode(output); err != nil {
		return tokenError(release.ErrInvalid, failure.Newf(ErrInvalidOutput, "Invalid Output: %v", err))
	}
	return e.deliver(token, tokenMsg{kind: tokenSuccess, output: append(json.RawMessage(nil), output...)})
}

// SendTaskFailure fails the waitForTaskToken task holding token with errName
// and cause. Errors are as for SendTaskSuccess.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	return e.deliver(token, tokenMsg{kind: tokenFailure, err: &failure.Error{Name: errName, Cause: cause}})
}

// SendTaskHeartbeat restarts the heartbeat timer of the task holding token.
// Errors are as for SendTaskSuccess.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	return e.deliver(token, tokenMsg{kind: tokenHeartbeat})
}

// settleCredits leaves exactly one activity accounted to a goroutine that
// woke up holding credits wake-ups.
func settleCredits(clock Clock, credits int) {
	if credits == 0 {
		clock.Unpark()
	}
	for ; credits > 1; credits-- {
		clock.Park()
	}
}
