// Package lambdatask runs Go Lambda handlers as the embedded engine's Task
// states, in-process, through the same JSON round trip as the Lambda runtime
// (lambda.NewHandler(...).Invoke), and reports their errors the way Step
// Functions reports Lambda errors: the Go type name as the error and the
// runtime's {"errorMessage","errorType"} document as the cause. It serves
// direct function ARNs and the arn:aws:states:::lambda:invoke integration
// (with its result envelope and the .waitForTaskToken pattern).
package lambdatask

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

// InvokeResource is the optimized Lambda integration's resource.
const InvokeResource = "arn:aws:states:::lambda:invoke"

// Functions is a set of in-process Lambda functions addressable by name or
// ARN. It is safe for concurrent use.
type Functions struct {
	region, account string

	mu sync.RWMutex
	fn map[string]lambda.Handler
}

// New returns an empty set whose ARNs use region and account.
func New(region, account string) *Functions {
	return &Functions{region: region, account: account, fn: map[string]lambda.Handler{}}
}

// Add registers handler (any function lambda.NewHandler accepts) under name
// and returns the function's ARN.
func (f *Functions) Add(name string, handler any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fn[name] = lambda.NewHandler(handler)
	return f.ARN(name)
}

// ARN is the ARN of the function called name.
func (f *Functions) ARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", f.region, f.account, name)
}

// Register makes the engine's registry send each function's ARN, and the
// lambda:invoke integration, here.
func (f *Functions) Register(r *states.Registry) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for name := range f.fn {
		r.Handle(f.ARN(name), states.TaskFunc(f.direct))
	}
	r.Handle(InvokeResource, states.TaskFunc(f.invokeIntegration))
	r.Handle(InvokeResource+".waitForTaskToken", states.TaskFunc(f.invokeIntegration))
}

// lookup finds a function by name, partial ARN or ARN, ignoring a version
// or alias qualifier.
func (f *Functions) lookup(ref string) (lambda.Handler, bool) {
	name := ref
	if i := strings.Index(ref, ":function:"); i >= 0 {
		name = ref[i+len(":function:"):]
	} else if strings.HasPrefix(ref, "function:") {
		name = strings.TrimPrefix(ref, "function:")
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	h, ok := f.fn[name]
	return h, ok
}

// Invoke runs the named function with payload and returns its response, or
// the error Step Functions would report for it.
func (f *Functions) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	h, ok := f.lookup(function)
	if !ok {
		return nil, failure.Newf("Lambda.ResourceNotFoundException",
			"Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException)", function)
	}
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		return nil, FunctionError(err)
	}
	return out, nil
}

// FunctionError converts an error a Go handler returned into the error Step
// Functions reports for the failed invocation: named after the error's Go
// type (as aws-lambda-go names it), with the runtime's error document as
// the cause.
func FunctionError(err error) *failure.Error {
	name := errorType(err)
	cause, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{err.Error(), name})
	return &failure.Error{Name: name, Cause: string(cause)}
}

func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// direct serves a Task whose Resource is the function's ARN: the effective
// input is the payload and the response is the result.
func (f *Functions) direct(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
	return f.Invoke(ctx, req.Resource, req.Input)
}

// invokeIntegration serves arn:aws:states:::lambda:invoke: Parameters name
// FunctionName and Payload; the result is Lambda's Invoke envelope. For
// .waitForTaskToken the response is ignored and the task waits for its
// token (an invocation error still fails it).
func (f *Functions) invokeIntegration(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
	var params struct {
		FunctionName string          `json:"FunctionName"`
		Payload      json.RawMessage `json:"Payload"`
		Qualifier    string          `json:"Qualifier"`
	}
	if err := json.Unmarshal(req.Input, &params); err != nil || params.FunctionName == "" {
		return nil, failure.New("States.Runtime", "The field 'FunctionName' is required by the lambda:invoke integration")
	}
	payload := params.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	out, err := f.Invoke(ctx, params.FunctionName, payload)
	if err != nil {
		return nil, err
	}
	if req.Pattern == states.WaitForTaskToken {
		return nil, nil
	}
	if len(out) == 0 {
		out = json.RawMessage("null")
	}
	version := params.Qualifier
	if version == "" {
		version = "$LATEST"
	}
	return json.Marshal(struct {
		ExecutedVersion     string          `json:"ExecutedVersion"`
		Payload             json.RawMessage `json:"Payload"`
		SdkHTTPMetadata     map[string]any  `json:"SdkHttpMetadata"`
		SdkResponseMetadata map[string]any  `json:"SdkResponseMetadata"`
		StatusCode          int             `json:"StatusCode"`
	}{
		ExecutedVersion:     version,
		Payload:             out,
		SdkHTTPMetadata:     map[string]any{"HttpStatusCode": 200},
		SdkResponseMetadata: map[string]any{"RequestId": req.ExecutionName + "/" + req.StateName},
		StatusCode:          200,
	})
}
