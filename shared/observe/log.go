package observe

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Fields identify what a log line or metric is about. Empty fields are left
// out.
type Fields struct {
	ReleaseID string
	Pipeline  string
	Stage     string
	Wave      string
	Target    string
	// Action is which state of a function serving several (a
	// control.Router) the line is about.
	Action string
}

// Attrs returns the non-empty fields as slog key/value pairs, under the
// keys releaseId, pipeline, stage, wave, target and action.
func (f Fields) Attrs() []any {
	var out []any
	for _, kv := range f.pairs() {
		out = append(out, kv[0], kv[1])
	}
	return out
}

func (f Fields) pairs() [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("releaseId", f.ReleaseID)
	add("pipeline", f.Pipeline)
	add("stage", f.Stage)
	add("wave", f.Wave)
	add("target", f.Target)
	add("action", f.Action)
	return out
}

type fieldsKey struct{}

// WithFields returns ctx carrying f; loggers from NewLogger add them to every
// line logged with that context.
func WithFields(ctx context.Context, f Fields) context.Context {
	return context.WithValue(ctx, fieldsKey{}, f)
}

// FieldsFrom returns the fields WithFields stored in ctx.
func FieldsFrom(ctx context.Context) Fields {
	f, _ := ctx.Value(fieldsKey{}).(Fields)
	return f
}

// FieldsOf reads the identifying fields of a handler input by its JSON
// names: releaseId, pipeline, stage, wave, target (a name, or an object
// with a name) and action. Inputs without them yield empty Fields.
func FieldsOf(in any) Fields {
	b, err := json.Marshal(in)
	if err != nil {
		return Fields{}
	}
	var v struct {
		ReleaseID string          `json:"releaseId"`
		Pipeline  string          `json:"pipeline"`
		Stage     string          `json:"stage"`
		Wave      string          `json:"wave"`
		Target    json.RawMessage `json:"target"`
		Action    string          `json:"action"`
	}
	if json.Unmarshal(b, &v) != nil {
		return Fields{}
	}
	f := Fields{ReleaseID: v.ReleaseID, Pipeline: v.Pipeline, Stage: v.Stage, Wave: v.Wave, Action: v.Action}
	var name string
	if json.Unmarshal(v.Target, &name) == nil {
		f.Target = name
	} else {
		var t struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(v.Target, &t) == nil {
			f.Target = t.Name
		}
	}
	return f
}

// Service is the service every log line names (key "service"), as
// Powertools for AWS Lambda users filter on it.
const Service = "shipwave"

// NewLogger returns a JSON logger writing to w. Each line carries
// service (Service) and, in a Lambda function, function_name; each line
// logged with a context also carries, when the context has them, the
// Lambda request id (requestId, and function_request_id as Powertools
// names it), the X-Ray trace id (xray_trace_id), cold_start (set by
// Handler: true on a process's first invocation) and the Fields stored by
// WithFields, unless the line sets the same key itself.
//
// cold_start comes from Handler when it wraps the invocation; otherwise a
// line in a Lambda invocation has cold_start true when its request is the
// first this logger (and the loggers derived from it) logged for.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(&contextHandler{next: slog.NewJSONHandler(w, nil).WithAttrs(baseAttrs(lambdacontext.FunctionName)), cold: &coldStart{}})
}

// coldStart remembers the first Lambda request a logger logged for.
type coldStart struct {
	mu    sync.Mutex
	first string
}

func (c *coldStart) is(requestID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.first == "" {
		c.first = requestID
	}
	return requestID == c.first
}

// baseAttrs are the attributes of every line of a function's logger.
func baseAttrs(function string) []slog.Attr {
	attrs := []slog.Attr{slog.String("service", Service)}
	if function != "" {
		attrs = append(attrs, slog.String("function_name", function))
	}
	return attrs
}

type contextHandler struct {
	next slog.Handler
	cold *coldStart
}

type coldStartKey struct{}

// TraceID returns the X-Ray root trace id of the trace ctx belongs to (its
// Lambda invocation's, or WithTraceHeader's), or "".
func TraceID(ctx context.Context) string {
	root, _, _ := parseTraceHeader(traceHeader(ctx))
	return root
}

// TraceHeader returns the X-Ray trace header (X-Amzn-Trace-Id) of the
// trace ctx belongs to, or "", for passing the trace on to HTTP calls.
func TraceHeader(ctx context.Context) string { return traceHeader(ctx) }

func (h *contextHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.next.Handle(ctx, r)
	}
	have := map[string]bool{}
	r.Attrs(func(a slog.Attr) bool {
		have[a.Key] = true
		return true
	})
	add := func(a slog.Attr) {
		if !have[a.Key] {
			r.AddAttrs(a)
		}
	}
	cold, hasCold := ctx.Value(coldStartKey{}).(bool)
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		add(slog.String("requestId", lc.AwsRequestID))
		add(slog.String("function_request_id", lc.AwsRequestID))
		if !hasCold && h.cold != nil {
			cold, hasCold = h.cold.is(lc.AwsRequestID), true
		}
	}
	if id := TraceID(ctx); id != "" {
		add(slog.String("xray_trace_id", id))
	}
	if hasCold {
		add(slog.Bool("cold_start", cold))
	}
	for _, kv := range FieldsFrom(ctx).pairs() {
		if !have[kv[0]] {
			r.AddAttrs(slog.String(kv[0], kv[1]))
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &contextHandler{next: h.next.WithAttrs(as), cold: h.cold}
}

func (h *contextHandler) WithGroup(name string) slog.Handler {
	return &contextHandler{next: h.next.WithGroup(name), cold: h.cold}
}

// Handler wraps a Lambda handler: it stores the input's Fields and whether
// this is the wrapped handler's first invocation (cold_start) in the
// context and logs one line when the invocation ends, with its duration
// and, on failure, the error and its Go type (the errorType Step Functions
// sees). The error is returned unchanged, so its type still reaches Catch.
func Handler[In, Out any](log *slog.Logger, name string, now func() time.Time, h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	if now == nil {
		now = time.Now
	}
	var invoked atomic.Bool
	return func(ctx context.Context, in In) (Out, error) {
		ctx = WithFields(ctx, FieldsOf(in))
		ctx = context.WithValue(ctx, coldStartKey{}, !invoked.Swap(true))
		start := now()
		out, err := h(ctx, in)
		ms := now().Sub(start).Milliseconds()
		if err != nil {
			log.ErrorContext(ctx, name+" failed", "durationMs", ms, "error", err.Error(), "errorType", errorType(err))
		} else {
			log.InfoContext(ctx, name+" done", "durationMs", ms)
		}
		return out, err
	}
}

// errorType is the name the Lambda runtime reports for err: its Go type
// without the package and pointer.
func errorType(err error) string {
	t := typeName(err)
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == '.' {
			return t[i+1:]
		}
	}
	return t
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	return t.String()
}
