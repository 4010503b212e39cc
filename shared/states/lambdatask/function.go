package lambdatask

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

// Function is a Lambda handler invoked in-process.
type Function struct {
	name    string
	arn     string
	handler lambda.Handler
	// handlers holds handlers made from one handler function, one per
	// concurrent call: aws-lambda-go's Handler.Invoke returns the bytes of a
	// buffer it has already put back in its pool, so a handler must not be
	// invoked again before its result is copied.
	handlers *sync.Pool
}

var _ states.TaskHandler = (*Function)(nil)

// New wraps a handler function of any signature lambda.Start accepts.
func New(name string, handlerFunc any) *Function {
	f := LambdaFunction(name, lambda.NewHandler(handlerFunc))
	f.handlers = &sync.Pool{New: func() any { return lambda.NewHandler(handlerFunc) }}
	f.handlers.Put(f.handler)
	return f
}

// LambdaFunction wraps a lambda.Handler under a function name.
func LambdaFunction(name string, h lambda.Handler) *Function {
	return &Function{
		name:    name,
		arn:     "arn:aws:lambda:us-east-1:123456789012:function:" + name,
		handler: h,
	}
}

// Name returns the function name.
func (f *Function) Name() string { return f.name }

// Call invokes the function with payload as the Lambda runtime does. A
// failed invocation is a *failure.Error whose Name is the errorType the Go
// runtime reports (the error's type name, such as "errorString" or
// "ValidationError") and whose Cause is the error JSON
// {"errorMessage":…,"errorType":…}. A panic is reported the same way with
// the panic value's type.
func (f *Function) Call(ctx context.Context, payload []byte) (out []byte, err error) {
	lc := &lambdacontext.LambdaContext{AwsRequestID: uuid.NewString(), InvokedFunctionArn: f.arn}
	ctx = lambdacontext.NewContext(ctx, lc)
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, toFailure(messages.InvokeResponse_Error{Message: fmt.Sprintf("%v", p), Type: errorType(p)})
		}
	}()
	h := f.handler
	if f.handlers != nil {
		h = f.handlers.Get().(lambda.Handler)
		defer f.handlers.Put(h)
	}
	out, herr := h.Invoke(ctx, payload)
	if herr != nil {
		return nil, toFailure(responseError(herr))
	}
	if len(out) == 0 {
		return []byte("null"), nil
	}
	// The bytes belong to a buffer h reuses on its next call.
	return bytes.Clone(out), nil
}

// Invoke runs the function as a Task whose Resource is the function's ARN:
// the effective input is the payload and the function's result is the task
// result.
func (f *Function) Invoke(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
	return f.Call(ctx, req.Input)
}

// responseError mirrors aws-lambda-go's lambdaErrorResponse.
func responseError(err error) messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return ive
	}
	return messages.InvokeResponse_Error{Message: err.Error(), Type: errorType(err)}
}

func errorType(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

func toFailure(e messages.InvokeResponse_Error) *failure.Error {
	b, err := json.Marshal(e)
	if err != nil {
		b = []byte(e.Message)
	}
	return &failure.Error{Name: e.Type, Cause: string(b)}
}
