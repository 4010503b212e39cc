package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-xray-sdk-go/header"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Tracer records every aws-sdk-go-v2 call as an X-Ray subsegment of the
// invocation's trace and sends it to the X-Ray daemon over UDP, the way
// aws-xray-sdk-go's awsv2 instrumentation does, without that SDK's
// dependencies (gRPC, the v1 SDK), which would double the size of every
// function. Calls outside a sampled trace are not recorded. Sending is best
// effort: a lost datagram loses a subsegment, never a call.
type Tracer struct {
	conn net.Conn
	now  func() time.Time
}

// DefaultDaemonAddress is where Lambda's X-Ray daemon listens when
// AWS_XRAY_DAEMON_ADDRESS is unset.
const DefaultDaemonAddress = "127.0.0.1:2000"

// NewTracer returns a Tracer sending to the daemon at addr (host:port);
// now stamps subsegments (nil means time.Now).
func NewTracer(addr string, now func() time.Time) (*Tracer, error) {
	if addr == "" {
		addr = DefaultDaemonAddress
	}
	// AWS_XRAY_DAEMON_ADDRESS may be "tcp:host:port udp:host:port".
	for _, part := range strings.Fields(addr) {
		if a, ok := strings.CutPrefix(part, "udp:"); ok {
			addr = a
		}
	}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("x-ray daemon %s: %w", addr, err)
	}
	if now == nil {
		now = time.Now
	}
	return &Tracer{conn: conn, now: now}, nil
}

// Close closes the daemon connection.
func (t *Tracer) Close() error { return t.conn.Close() }

// Instrument adds the tracing middleware to an aws.Config's APIOptions, so
// every client built from the config is traced.
func (t *Tracer) Instrument(apiOptions *[]func(*middleware.Stack) error) {
	*apiOptions = append(*apiOptions, func(s *middleware.Stack) error {
		if err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("ShipwaveXRaySubsegment", t.handleInitialize), middleware.After); err != nil {
			return err
		}
		return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("ShipwaveXRayResponse", handleDeserialize), middleware.After)
	})
}

// lambdaTraceKey is the context key under which aws-lambda-go stores the
// invocation's trace header.
const lambdaTraceKey = "x-amzn-trace-id"

type traceKey struct{}

// WithTraceHeader returns ctx carrying an X-Ray trace header
// ("Root=1-…;Parent=…;Sampled=1"), for callers outside a Lambda invocation.
func WithTraceHeader(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, traceKey{}, header)
}

// traceHeader is the header of the trace ctx belongs to.
func traceHeader(ctx context.Context) string {
	if h, ok := ctx.Value(traceKey{}).(string); ok && h != "" {
		return h
	}
	h, _ := ctx.Value(lambdaTraceKey).(string)
	return h
}

// parseTraceHeader returns the root trace id, the parent segment id and
// whether the trace is sampled, parsed by the X-Ray SDK's header package
// (the SDK's recorder and instrumentation would add gRPC and the v1 SDK to
// every function: see docs/benchmarks.md, "Function sizes").
func parseTraceHeader(h string) (root, parent string, sampled bool) {
	th := header.FromString(h)
	return th.TraceID, th.ParentID, th.SamplingDecision == header.Sampled && th.TraceID != "" && th.ParentID != ""
}

type callKey struct{}

// call is what the deserialize middleware learns about the last attempt.
type call struct {
	status    int
	requestID string
	attempts  int
}

func handleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		c.attempts++
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil {
			c.status = resp.StatusCode
		}
		if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
			c.requestID = id
		}
	}
	return out, md, err
}

func (t *Tracer) handleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	root, parent, sampled := parseTraceHeader(traceHeader(ctx))
	if !sampled {
		return next.HandleInitialize(ctx, in)
	}
	c := &call{}
	start := t.now()
	out, md, err := next.HandleInitialize(context.WithValue(ctx, callKey{}, c), in)
	t.send(Subsegment{
		ID:        newID(),
		TraceID:   root,
		ParentID:  parent,
		Name:      awsmiddleware.GetServiceID(ctx),
		Namespace: "aws",
		Type:      "subsegment",
		StartTime: seconds(start),
		EndTime:   seconds(t.now()),
		AWS: map[string]any{
			"operation":  awsmiddleware.GetOperationName(ctx),
			"region":     awsmiddleware.GetRegion(ctx),
			"request_id": c.requestID,
			"retries":    max(0, c.attempts-1),
		},
		HTTP:        map[string]any{"response": map[string]any{"status": c.status}},
		Error:       err != nil && c.status >= 400 && c.status < 500,
		Throttle:    c.status == 429,
		Fault:       err != nil && (c.status >= 500 || c.status == 0),
		Cause:       cause(err),
		Annotations: annotations(FieldsFrom(ctx)),
	})
	return out, md, err
}

// Subsegment is the X-Ray segment document of one SDK call.
type Subsegment struct {
	ID        string         `json:"id"`
	TraceID   string         `json:"trace_id"`
	ParentID  string         `json:"parent_id"`
	Name      string         `json:"name"`
	Namespace string         `json:"namespace"`
	Type      string         `json:"type"`
	StartTime float64        `json:"start_time"`
	EndTime   float64        `json:"end_time"`
	AWS       map[string]any `json:"aws"`
	HTTP      map[string]any `json:"http"`
	Error     bool           `json:"error,omitempty"`
	Throttle  bool           `json:"throttle,omitempty"`
	Fault     bool           `json:"fault,omitempty"`
	Cause     map[string]any `json:"cause,omitempty"`
	// Annotations are indexed by X-Ray for filter expressions, such as
	// annotation.release_id = "01J…": the release, pipeline, stage, wave
	// and target the call was made for (Fields).
	Annotations map[string]string `json:"annotations,omitempty"`
}

// annotations are f as X-Ray annotations (keys of letters, digits and
// underscores).
func annotations(f Fields) map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"release_id": f.ReleaseID, "pipeline": f.Pipeline, "stage": f.Stage, "wave": f.Wave, "target": f.Target} {
		if v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func cause(err error) map[string]any {
	if err == nil {
		return nil
	}
	var oe interface{ ErrorCode() string }
	typ := ""
	if errors.As(err, &oe) {
		typ = oe.ErrorCode()
	}
	return map[string]any{"exceptions": []map[string]any{{"id": newID(), "message": err.Error(), "type": typ}}}
}

// daemonHeader precedes every segment document sent to the daemon.
const daemonHeader = "{\"format\": \"json\", \"version\": 1}\n"

func (t *Tracer) send(s Subsegment) {
	b, err := json.Marshal(s)
	if err != nil {
		return
	}
	_, _ = t.conn.Write(append([]byte(daemonHeader), b...))
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
