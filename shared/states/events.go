package states

import (
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// event is a history event as the engine reports it on the hot path;
// payloads are marshalled only when History is called. The log stores it in
// the smaller storedEvent form.
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
	// info, when set, replaces typ, name, text, errName, cause and task
	// with details shared between events.
	info *eventInfo
}

// Shared details of events that name no state.
var (
	infoExecutionStarted       = &eventInfo{typ: "ExecutionStarted"}
	infoParallelStateStarted   = &eventInfo{typ: "ParallelStateStarted"}
	infoParallelStateFailed    = &eventInfo{typ: "ParallelStateFailed"}
	infoParallelStateSucceeded = &eventInfo{typ: "ParallelStateSucceeded"}
	infoMapStateStarted        = &eventInfo{typ: "MapStateStarted"}
	infoMapStateFailed         = &eventInfo{typ: "MapStateFailed"}
	infoMapStateSucceeded      = &eventInfo{typ: "MapStateSucceeded"}
)

// Indexes of a Map state's shared MapIteration* event details (state.iter).
const (
	iterStarted = iota
	iterFailed
	iterAborted
	iterSucceeded
)

// storedEvent is an event as the log keeps it (48 bytes): the payload,
// time and links inline; the type, state name and rare fields (errors, task
// details, pre-marshalled text) behind one pointer, which StateEntered and
// StateExited events share with their state; the id is implied by the
// position in the log.
type storedEvent struct {
	payload any
	ts      int64 // Unix nanoseconds
	prev    int32
	index   int32
	info    *eventInfo
	hasPay  bool
}

// eventInfo holds an event's type, name and rare fields; it is never
// modified once stored.
type eventInfo struct {
	typ     string
	name    string
	text    string
	errName string
	cause   string
	task    *taskInfo
}

// storeInto fills the zeroed slot s field by field (cheaper under the
// garbage collector's write barrier than copying a whole struct).
func (e *event) storeInto(s *storedEvent) {
	s.payload = e.payload
	s.ts, s.prev, s.index, s.hasPay = e.ts.UnixNano(), int32(e.prev), int32(e.index), e.hasPay
	if e.info != nil {
		s.info = e.info
		return
	}
	s.info = &eventInfo{typ: e.typ, name: e.name, text: e.text, errName: e.errName, cause: e.cause, task: e.task}
}

func (s *storedEvent) load(id int64) event {
	in := s.info
	return event{
		typ: in.typ, id: id, prev: int64(s.prev), ts: time.Unix(0, s.ts).UTC(), name: in.name, payload: s.payload, hasPay: s.hasPay, index: int(s.index),
		text: in.text, errName: in.errName, cause: in.cause, task: in.task,
	}
}

// rawJSON is a payload kept as the JSON text it was given in (the
// execution input), printed as is.
type rawJSON []byte

type taskInfo struct {
	resourceType string
	resource     string
	region       string
	timeout      int64
	heartbeat    int64
}

// record appends an event after prev and returns its id; a zero e.ts means
// "now". When the history
// limit is reached it marks the execution and cancels it instead.
func (x *Execution) record(prev int64, e event) int64 {
	if x.engine.count {
		// Counting needs no lock: the one running thread increments the
		// count; threads running at once claim the next id with a
		// compare-and-swap. Either way the limit is checked exactly as the
		// locked path does.
		limit := int64(x.engine.maxHist - 1)
		if x.fanout.Load() == 0 {
			if x.counted < limit {
				x.counted++
				return x.counted
			}
		} else {
			for {
				n := atomic.LoadInt64(&x.counted)
				if n >= limit {
					break
				}
				if atomic.CompareAndSwapInt64(&x.counted, n, n+1) {
					return n + 1
				}
			}
		}
	}
	x.mu.Lock()
	if x.engine.count || x.events.n >= x.engine.maxHist-1 {
		if !x.limit {
			x.limit = true
			x.root.cancel()
		}
		x.mu.Unlock()
		return prev
	}
	id := x.appendLocked(prev, e)
	x.mu.Unlock()
	return id
}

// forceRecord appends the closing event even at the history limit.
func (x *Execution) forceRecord(prev int64, e event) int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.appendLocked(prev, e)
}

func (x *Execution) appendLocked(prev int64, e event) int64 {
	if x.engine.count {
		// Only finish forces an event, after every thread has ended.
		x.counted++
		return x.counted
	}
	e.id = int64(x.events.n) + 1
	e.prev = prev
	if e.ts.IsZero() {
		e.ts = x.engine.clock.Now()
	}
	e.storeInto(x.events.next())
	return e.id
}

// History returns the events recorded so far, shaped like
// GetExecutionHistory's events. It returns nil when the engine only counts
// events (Options.History is HistoryCount).
func (x *Execution) History() []HistoryEvent {
	if x.engine.count {
		return nil
	}
	x.mu.Lock()
	evs := x.events.all()
	x.mu.Unlock()
	out := make([]HistoryEvent, len(evs))
	for i := range evs {
		out[i] = evs[i].public(x)
	}
	return out
}

// HistoryLen returns the number of events in the execution's history so
// far, whether they are stored or only counted. When they are only counted
// (HistoryCount) the number is known once the execution has ended; until
// then HistoryLen returns -1.
func (x *Execution) HistoryLen() int {
	if x.engine.count {
		select {
		case <-x.done:
			return int(x.counted)
		default:
			return -1
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.events.n
}

func (e *event) payloadText() string {
	if e.text != "" || !e.hasPay {
		return e.text
	}
	if raw, ok := e.payload.(rawJSON); ok {
		return string(raw)
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

// eventLog stores events in chunks so appending never copies earlier
// events. The first chunk is sized from a hint (the length of the previous
// execution of the same machine), so most executions allocate once.
type eventLog struct {
	chunks [][]storedEvent
	n      int
	hint   int
}

const (
	eventChunk    = 128
	maxFirstChunk = 2048
)

// next appends a zeroed event and returns it for the caller to fill.
func (l *eventLog) next() *storedEvent {
	if len(l.chunks) == 0 || len(l.chunks[len(l.chunks)-1]) == cap(l.chunks[len(l.chunks)-1]) {
		size := eventChunk
		if len(l.chunks) == 0 {
			size = min(max(l.hint, 16), maxFirstChunk)
		}
		l.chunks = append(l.chunks, make([]storedEvent, 0, size))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = (*last)[:len(*last)+1]
	l.n++
	return &(*last)[len(*last)-1]
}

// trim releases the unused tail of the last chunk when a hint
// over-estimated the execution by more than half, so finished executions
// that the engine retains hold no more than twice the memory their events
// need.
func (l *eventLog) trim() {
	if len(l.chunks) == 0 {
		return
	}
	last := l.chunks[len(l.chunks)-1]
	if cap(last) > 64 && cap(last)-len(last) > len(last) {
		l.chunks[len(l.chunks)-1] = append([]storedEvent(nil), last...)
	}
}

func (l *eventLog) all() []event {
	out := make([]event, 0, l.n)
	for _, c := range l.chunks {
		for i := range c {
			out = append(out, c[i].load(int64(len(out))+1))
		}
	}
	return out
}
