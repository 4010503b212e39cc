package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// JSONService is a fake of any AWS service speaking the AWS JSON 1.0 or 1.1
// protocol (CodeDeploy, CodePipeline, Step Functions, Secrets Manager, …):
// the operation is named by the X-Amz-Target header, the input is a JSON
// body, and errors are {"__type", "message"} with an HTTP status. Each
// operation answers through a handler the test registers; unregistered
// operations fail with UnknownOperationException.
type JSONService struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu       sync.Mutex
	handlers map[string]JSONHandler
}

// JSONHandler answers one operation: the decoded input in, the output (any
// JSON-encodable value) or an *APIError out.
type JSONHandler func(input map[string]any) (any, *APIError)

// APIError is a service error answered to the client.
type APIError struct {
	Status  int
	Code    string
	Message string
}

// NewJSONService starts a JSON-protocol fake that stops when t ends.
func NewJSONService(t testing.TB) *JSONService {
	t.Helper()
	s := &JSONService{handlers: map[string]JSONHandler{}}
	s.Server = start(t, http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint of the fake.
func (s *JSONService) URL() string { return s.Server.URL }

// Handle registers the handler of an operation, such as
// "PutLifecycleEventHookExecutionStatus".
func (s *JSONService) Handle(operation string, h JSONHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[operation] = h
}

func (s *JSONService) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	body, _ := io.ReadAll(r.Body)
	params := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &params); err != nil {
			writeJSONError(w, &APIError{Status: http.StatusBadRequest, Code: "SerializationException", Message: err.Error()})
			return
		}
	}
	if f := s.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeJSONError(w, &APIError{Status: f.Status, Code: f.Code, Message: orDefault(f.Message, "injected fault")})
		return
	}
	s.mu.Lock()
	h, ok := s.handlers[op]
	s.mu.Unlock()
	if !ok {
		writeJSONError(w, &APIError{Status: http.StatusBadRequest, Code: "UnknownOperationException", Message: fmt.Sprintf("operation %q (target %q) is not faked", op, target)})
		return
	}
	out, apiErr := h(params)
	if apiErr != nil {
		writeJSONError(w, apiErr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if out == nil {
		out = struct{}{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func writeJSONError(w http.ResponseWriter, e *APIError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}
