package awsfake

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cloudWatchService is the Smithy service shape name in CloudWatch's RPC v2
// request paths.
const cloudWatchService = "GraniteServiceVersion20100801"

// CloudWatch is a fake Amazon CloudWatch speaking Smithy RPC v2 CBOR (the
// protocol of the pinned SDK, AWS-query compatible). It holds metric and
// composite alarms with their states and answers DescribeAlarms with
// CloudWatch's paging and filtering rules.
type CloudWatch struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu        sync.Mutex
	alarms    map[string]Alarm
	pageLimit int
}

// LimitPages makes DescribeAlarms return at most n alarms per page whatever
// MaxRecords asks for, as the service may, so callers must follow NextToken.
func (c *CloudWatch) LimitPages(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pageLimit = n
}

// Alarm is a fake alarm.
type Alarm struct {
	Name string
	// Composite marks a composite alarm; otherwise it is a metric alarm.
	Composite bool
	// State is OK, ALARM or INSUFFICIENT_DATA.
	State   string
	Reason  string
	Updated time.Time
}

// NewCloudWatch starts a fake CloudWatch service that stops when t ends.
func NewCloudWatch(t testing.TB) *CloudWatch {
	t.Helper()
	c := &CloudWatch{alarms: map[string]Alarm{}}
	c.Server = start(t, http.HandlerFunc(c.serve))
	return c
}

// URL is the endpoint of the fake.
func (c *CloudWatch) URL() string { return c.Server.URL }

// PutAlarm creates or replaces an alarm.
func (c *CloudWatch) PutAlarm(a Alarm) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a.Updated.IsZero() {
		a.Updated = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	c.alarms[a.Name] = a
}

// SetState changes an existing alarm's state.
func (c *CloudWatch) SetState(name, state, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.alarms[name]
	if !ok {
		panic("awsfake: no alarm " + name)
	}
	a.State, a.Reason = state, reason
	c.alarms[name] = a
}

// Throttle makes the next n requests for operation (all if empty) fail as
// CloudWatch throttles: 400 with error type Throttling; n <= 0 means every
// request.
func (c *CloudWatch) Throttle(operation string, n int) {
	c.Inject(Fault{Operation: operation, Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded", Times: n})
}

// FailServer makes the next n requests for operation fail with 500
// InternalServiceFault; n <= 0 means every request.
func (c *CloudWatch) FailServer(operation string, n int) {
	c.Inject(Fault{Operation: operation, Status: http.StatusInternalServerError, Code: "InternalServiceFault", Message: "internal failure", Times: n})
}

func (c *CloudWatch) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	prefix := "/service/" + cloudWatchService + "/operation/"
	op, ok := strings.CutPrefix(r.URL.Path, prefix)
	params := map[string]any{}
	var decodeErr error
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			decodeErr = err
		} else if m, ok := fromCBOR(v).(map[string]any); ok {
			params = m
		} else {
			decodeErr = fmt.Errorf("body is not a CBOR map")
		}
	}
	if f := c.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeCBORError(w, f.Status, f.Code, orDefault(f.Message, f.Code))
		return
	}
	switch {
	case !ok || r.Method != http.MethodPost:
		writeCBORError(w, http.StatusNotFound, "UnknownOperationException", "unknown operation "+r.URL.Path)
		return
	case !strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor"):
		writeCBORError(w, http.StatusBadRequest, "InvalidParameterValue", "missing Smithy-Protocol: rpc-v2-cbor header")
		return
	case decodeErr != nil:
		writeCBORError(w, http.StatusBadRequest, "SerializationException", decodeErr.Error())
		return
	}
	switch op {
	case "DescribeAlarms":
		out, code, msg := c.describeAlarms(params)
		if code != "" {
			writeCBORError(w, http.StatusBadRequest, code, msg)
			return
		}
		writeCBOR(w, http.StatusOK, out)
	default:
		writeCBORError(w, http.StatusNotFound, "UnknownOperationException", "operation "+op+" is not supported by the fake")
	}
}

func (c *CloudWatch) describeAlarms(in map[string]any) (cbor.Map, string, string) {
	names := stringList(in["AlarmNames"])
	if len(names) > 100 {
		return nil, "ValidationError", fmt.Sprintf("1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100 (got %d)", len(names))
	}
	types := stringList(in["AlarmTypes"])
	if len(types) == 0 {
		// CloudWatch returns only metric alarms when AlarmTypes is omitted.
		types = []string{"MetricAlarm"}
	}
	max := 50
	if v, ok := in["MaxRecords"].(int64); ok {
		if v < 1 || v > 100 {
			return nil, "ValidationError", fmt.Sprintf("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100", v)
		}
		max = int(v)
	}
	start := 0
	if tok, ok := in["NextToken"].(string); ok && tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || !strings.HasPrefix(tok, "page-") {
			return nil, "InvalidNextToken", "The service returned an invalid next token"
		}
		start = n
	}
	c.mu.Lock()
	if c.pageLimit > 0 {
		max = min(max, c.pageLimit)
	}
	var matched []Alarm
	for _, a := range c.alarms {
		kind := "MetricAlarm"
		if a.Composite {
			kind = "CompositeAlarm"
		}
		if !contains(types, kind) || len(names) > 0 && !contains(names, a.Name) {
			continue
		}
		if p, ok := in["AlarmNamePrefix"].(string); ok && !strings.HasPrefix(a.Name, p) {
			continue
		}
		if s, ok := in["StateValue"].(string); ok && a.State != s {
			continue
		}
		matched = append(matched, a)
	}
	c.mu.Unlock()
	sort.Slice(matched, func(i, j int) bool { return matched[i].Name < matched[j].Name })
	if start > len(matched) {
		start = len(matched)
	}
	end := min(start+max, len(matched))
	metric, composite := cbor.List{}, cbor.List{}
	for _, a := range matched[start:end] {
		arn := "arn:aws:cloudwatch:" + Region + ":" + Account + ":alarm:" + a.Name
		m := cbor.Map{
			"AlarmName":             cbor.String(a.Name),
			"AlarmArn":              cbor.String(arn),
			"StateValue":            cbor.String(a.State),
			"StateReason":           cbor.String(a.Reason),
			"StateUpdatedTimestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(a.Updated.UnixMilli()) / 1000)},
			"ActionsEnabled":        cbor.Bool(true),
		}
		if a.Composite {
			m["AlarmRule"] = cbor.String("ALARM(child)")
			composite = append(composite, m)
		} else {
			m["MetricName"] = cbor.String("Errors")
			m["Namespace"] = cbor.String("Shipwave")
			m["Threshold"] = cbor.Float64(1)
			m["EvaluationPeriods"] = cbor.Uint(1)
			m["ComparisonOperator"] = cbor.String("GreaterThanThreshold")
			metric = append(metric, m)
		}
	}
	out := cbor.Map{"MetricAlarms": metric, "CompositeAlarms": composite}
	if end < len(matched) {
		out["NextToken"] = cbor.String("page-" + strconv.Itoa(end))
	}
	return out, "", ""
}

func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// fromCBOR turns a decoded CBOR value into plain Go values: map[string]any,
// []any, string, int64, float64, bool, []byte, time.Time or nil.
func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = fromCBOR(e)
		}
		return m
	case cbor.List:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = fromCBOR(e)
		}
		return l
	case cbor.String:
		return string(v)
	case cbor.Uint:
		if v > math.MaxInt64 {
			return float64(v)
		}
		return int64(v)
	case cbor.NegInt:
		return -int64(v) - 1
	case cbor.Float32:
		return float64(v)
	case cbor.Float64:
		return float64(v)
	case cbor.Bool:
		return bool(v)
	case cbor.Slice:
		return []byte(v)
	case *cbor.Tag:
		if t, err := cbor.AsTime(v); err == nil {
			return t
		}
		return fromCBOR(v.Value)
	}
	return nil
}

func writeCBOR(w http.ResponseWriter, status int, v cbor.Value) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(v))
}

// writeCBORError writes an RPC v2 error; because CloudWatch is AWS-query
// compatible it also sets X-Amzn-Query-Error, from which the SDK takes the
// error code.
func writeCBORError(w http.ResponseWriter, status int, code, message string) {
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", code+";"+fault)
	writeCBOR(w, status, cbor.Map{
		"__type":  cbor.String("com.amazonaws.cloudwatch#" + code),
		"message": cbor.String(message),
	})
}
