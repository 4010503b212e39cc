package states

import (
	"time"

	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// event is the compact form of a history event recorded on the hot path;
// payloads are marshalled only when History is called.
type event struct {
	typ     string
	id      int64
	prev    int64
	ts      time.Time
	name    string
	payload any
	hasPay  bool
	text    string // pre-marshalled payload (task output)
	errName string
	cause   string
	index   int
	task    *taskInfo
}

type taskInfo struct {
	resourceType string
	resource     string
	region       string
	timeout      int64
	heartbeat    int64
}

// record appends an event after prev and returns its id. When the history
// limit is reached it marks the execution and cancels it instead.
func (x *Execution) record(prev int64, e event) int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.events.n >= x.engine.maxHist-1 {
		if !x.limit {
			x.limit = true
			x.root.cancel()
		}
		return prev
	}
	return x.appendLocked(prev, e)
}

// forceRecord appends the closing event even at the history limit.
func (x *Execution) forceRecord(prev int64, e event) int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.appendLocked(prev, e)
}

func (x *Execution) appendLocked(prev int64, e event) int64 {
	e.id = int64(x.events.n) + 1
	e.prev = prev
	e.ts = x.engine.clock.Now()
	x.events.append(e)
	return e.id
}

// History returns the events recorded so far, shaped like
// GetExecutionHistory's events.
func (x *Execution) History() []HistoryEvent {
	x.mu.Lock()
	evs := x.events.all()
	x.mu.Unlock()
	out := make([]HistoryEvent, len(evs))
	for i := range evs {
		out[i] = evs[i].public(x)
	}
	return out
}

func (e *event) payloadText() string {
	if e.text != "" || !e.hasPay {
		return e.text
	}
	b, err := jsonvalue.Marshal(e.payload)
	if err != nil {
		return ""
	}
	return string(b)
}

func (e *event) public(x *Execution) HistoryEvent {
	h := HistoryEvent{Timestamp: e.ts, Type: e.typ, ID: e.id, PreviousEventID: e.prev}
	notTruncated := &PayloadDetails{}
	errs := &ErrorDetails{Error: e.errName, Cause: e.cause}
	var td *TaskDetails
	if e.task != nil {
		td = &TaskDetails{ResourceType: e.task.resourceType, Resource: e.task.resource}
	}
	switch e.typ {
	case "ExecutionStarted":
		h.ExecutionStartedEventDetails = &ExecutionStartedDetails{Input: e.payloadText(), InputDetails: notTruncated, RoleArn: x.roleArn}
	case "ExecutionSucceeded":
		h.ExecutionSucceededEventDetails = &OutputDetails{Output: e.payloadText(), OutputDetails: notTruncated}
	case "ExecutionFailed":
		h.ExecutionFailedEventDetails = errs
	case "ExecutionAborted":
		h.ExecutionAbortedEventDetails = errs
	case "ExecutionTimedOut":
		h.ExecutionTimedOutEventDetails = errs
	case "TaskScheduled":
		h.TaskScheduledEventDetails = &TaskScheduledDetails{
			ResourceType: e.task.resourceType, Resource: e.task.resource, Region: e.task.region,
			Parameters: e.payloadText(), TimeoutInSeconds: e.task.timeout, HeartbeatInSeconds: e.task.heartbeat,
		}
	case "TaskStarted":
		h.TaskStartedEventDetails = td
	case "TaskSubmitted":
		td.Output, td.OutputDetails = e.payloadText(), notTruncated
		h.TaskSubmittedEventDetails = td
	case "TaskSucceeded":
		td.Output, td.OutputDetails = e.payloadText(), notTruncated
		h.TaskSucceededEventDetails = td
	case "TaskFailed":
		td.Error, td.Cause = e.errName, e.cause
		h.TaskFailedEventDetails = td
	case "TaskTimedOut":
		td.Error, td.Cause = e.errName, e.cause
		h.TaskTimedOutEventDetails = td
	case "LambdaFunctionScheduled":
		h.LambdaFunctionScheduledEventDetails = &LambdaScheduledDetails{Resource: e.task.resource, Input: e.payloadText(), InputDetails: notTruncated, TimeoutInSeconds: e.task.timeout}
	case "LambdaFunctionSucceeded":
		h.LambdaFunctionSucceededEventDetails = &OutputDetails{Output: e.payloadText(), OutputDetails: notTruncated}
	case "LambdaFunctionFailed":
		h.LambdaFunctionFailedEventDetails = errs
	case "LambdaFunctionTimedOut":
		h.LambdaFunctionTimedOutEventDetails = errs
	case "MapStateStarted":
		h.MapStateStartedEventDetails = &MapStartedDetails{Length: e.index}
	case "MapIterationStarted":
		h.MapIterationStartedEventDetails = &MapIterationDetails{Name: e.name, Index: e.index}
	case "MapIterationSucceeded":
		h.MapIterationSucceededEventDetails = &MapIterationDetails{Name: e.name, Index: e.index}
	case "MapIterationFailed":
		h.MapIterationFailedEventDetails = &MapIterationDetails{Name: e.name, Index: e.index}
	case "MapIterationAborted":
		h.MapIterationAbortedEventDetails = &MapIterationDetails{Name: e.name, Index: e.index}
	default:
		if len(e.typ) > 12 && e.typ[len(e.typ)-12:] == "StateEntered" {
			h.StateEnteredEventDetails = &StateEnteredDetails{Name: e.name, Input: e.payloadText(), InputDetails: notTruncated}
		} else if len(e.typ) > 11 && e.typ[len(e.typ)-11:] == "StateExited" {
			h.StateExitedEventDetails = &StateExitedDetails{Name: e.name, Output: e.payloadText(), OutputDetails: notTruncated}
		}
	}
	return h
}

// eventLog stores events in fixed chunks so appending never copies earlier
// events.
type eventLog struct {
	chunks [][]event
	n      int
}

const eventChunk = 128

func (l *eventLog) append(e event) {
	if len(l.chunks) == 0 || len(l.chunks[len(l.chunks)-1]) == cap(l.chunks[len(l.chunks)-1]) {
		size := eventChunk
		if len(l.chunks) == 0 {
			size = 16
		}
		l.chunks = append(l.chunks, make([]event, 0, size))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, e)
	l.n++
}

func (l *eventLog) all() []event {
	out := make([]event, 0, l.n)
	for _, c := range l.chunks {
		out = append(out, c...)
	}
	return out
}
