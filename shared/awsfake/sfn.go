package awsfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// SFN is a fake AWS Step Functions speaking the awsJson1_0 protocol for the
// task callback operations (SendTaskSuccess, SendTaskFailure,
// SendTaskHeartbeat) and for starting executions (StartExecution,
// DescribeExecution). It knows task tokens that are waiting, ended, or
// timed out, and answers as the service does: TaskDoesNotExist for an
// unknown or already completed token, TaskTimedOut for a timed-out one,
// InvalidToken for an empty or over-long token, InvalidOutput for output
// that is not JSON. Executions of the state machines added with
// AddStateMachine start and keep running; starting one again by name with
// the same input returns it (Standard workflows' idempotent start), with
// other input ExecutionAlreadyExists; an unknown machine is
// StateMachineDoesNotExist, a name over 80 characters or with other than
// letters, digits, '-' and '_' InvalidName.
type SFN struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu         sync.Mutex
	tokens     map[string]*TaskOutcome
	machines   map[string]bool
	executions map[string]string // execution ARN → input
}

// TaskOutcome is how a fake task ended.
type TaskOutcome struct {
	// State is "waiting", "succeeded", "failed" or "timed-out".
	State string
	// Output is the SendTaskSuccess output.
	Output string
	// Error and Cause are the SendTaskFailure values.
	Error, Cause string
}

// NewSFN starts a fake Step Functions closed when t ends.
func NewSFN(t testing.TB) *SFN {
	t.Helper()
	s := &SFN{tokens: map[string]*TaskOutcome{}, machines: map[string]bool{}, executions: map[string]string{}}
	s.Server = start(t, http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's endpoint.
func (s *SFN) URL() string { return s.Server.URL }

// AddStateMachine makes a state machine named name startable and returns
// its ARN.
func (s *SFN) AddStateMachine(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := "arn:aws:states:" + Region + ":" + Account + ":stateMachine:" + name
	s.machines[arn] = true
	return arn
}

var executionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func (s *SFN) execution(op string, params map[string]any) (any, string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op == "DescribeExecution" {
		arn, _ := params["executionArn"].(string)
		in, ok := s.executions[arn]
		if !ok {
			return nil, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'"
		}
		i := strings.Index(arn, ":execution:")
		machine, name, _ := strings.Cut(arn[i+len(":execution:"):], ":")
		return map[string]any{"executionArn": arn, "stateMachineArn": arn[:i] + ":stateMachine:" + machine, "name": name,
			"status": "RUNNING", "input": in, "startDate": 1.7e9}, "", ""
	}
	machine, _ := params["stateMachineArn"].(string)
	name, _ := params["name"].(string)
	input, _ := params["input"].(string)
	if input == "" {
		input = "{}"
	}
	switch {
	case !strings.Contains(machine, ":stateMachine:"):
		return nil, "InvalidArn", "Invalid Arn: '" + machine + "'"
	case !s.machines[machine]:
		return nil, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + machine + "'"
	case !executionName.MatchString(name):
		return nil, "InvalidName", "Invalid Name: '" + name + "'"
	case !json.Valid([]byte(input)):
		return nil, "InvalidExecutionInput", "Invalid State Machine Execution Input: not JSON"
	}
	arn := strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":" + name
	if prev, ok := s.executions[arn]; ok && prev != input {
		return nil, "ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'"
	}
	s.executions[arn] = input
	return map[string]any{"executionArn": arn, "startDate": 1.7e9}, "", ""
}

// Wait registers a task token that waits for a callback.
func (s *SFN) Wait(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &TaskOutcome{State: "waiting"}
}

// TimeOut makes a waiting token's task time out.
func (s *SFN) TimeOut(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &TaskOutcome{State: "timed-out"}
}

// Outcome returns how the task of token ended, and whether the token is
// known.
func (s *SFN) Outcome(token string) (TaskOutcome, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.tokens[token]
	if !ok {
		return TaskOutcome{}, false
	}
	return *o, true
}

func (s *SFN) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := strings.TrimPrefix(target, "AWSStepFunctions.")
	body, _ := io.ReadAll(r.Body)
	params := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &params); err != nil {
			writeJSON10Error(w, http.StatusBadRequest, "SerializationException", "body is not JSON")
			return
		}
	}
	if f := s.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		msg := f.Message
		if msg == "" {
			msg = "injected fault"
		}
		writeJSON10Error(w, f.Status, f.Code, msg)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" || !strings.HasPrefix(target, "AWSStepFunctions.") {
		writeJSON10Error(w, http.StatusBadRequest, "UnknownOperationException", "not an awsJson1_0 Step Functions request")
		return
	}
	token, _ := params["taskToken"].(string)
	switch op {
	case "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat":
	case "StartExecution", "DescribeExecution":
		out, code, msg := s.execution(op, params)
		if code != "" {
			writeJSON10Error(w, http.StatusBadRequest, code, msg)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(out)
		return
	default:
		writeJSON10Error(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not faked")
		return
	}
	if token == "" || len(token) > 2048 {
		writeJSON10Error(w, http.StatusBadRequest, "InvalidToken", "Invalid token")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.tokens[token]
	switch {
	case !ok || o.State == "succeeded" || o.State == "failed":
		writeJSON10Error(w, http.StatusBadRequest, "TaskDoesNotExist", "Task Does Not Exist")
		return
	case o.State == "timed-out":
		writeJSON10Error(w, http.StatusBadRequest, "TaskTimedOut", "Task Timed Out: '"+token+"'")
		return
	}
	switch op {
	case "SendTaskSuccess":
		out, _ := params["output"].(string)
		if !json.Valid([]byte(out)) {
			writeJSON10Error(w, http.StatusBadRequest, "InvalidOutput", "Invalid State Machine Output: not JSON")
			return
		}
		*o = TaskOutcome{State: "succeeded", Output: out}
	case "SendTaskFailure":
		e, _ := params["error"].(string)
		c, _ := params["cause"].(string)
		*o = TaskOutcome{State: "failed", Error: e, Cause: c}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = w.Write([]byte("{}"))
}

// writeJSON10Error writes an awsJson1_0 error answer.
func writeJSON10Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.swf.service.v2.model#" + code, "message": message})
	_, _ = w.Write(b)
}
