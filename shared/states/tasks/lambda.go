package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// Resources of the Lambda integrations.
const (
	LambdaInvokeResource = "arn:aws:states:::lambda:invoke"
	LambdaARNPrefix      = "arn:aws:lambda:"
)

// Invoker calls a Lambda function with a payload; *lambdatask.Function is
// one. Errors are *failure.Error named after the function's errorType.
type Invoker interface {
	Call(ctx context.Context, payload []byte) ([]byte, error)
}

// Functions are Lambda functions by name.
type Functions map[string]Invoker

// lookup resolves a function name, full or partial ARN, with an optional
// version or alias qualifier, as Lambda does.
func (fs Functions) lookup(ref string) (Invoker, error) {
	name := ref
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, ":")
		if len(parts) >= 7 && parts[5] == "function" {
			name = parts[6]
		}
	} else if parts := strings.Split(name, ":"); len(parts) >= 3 && parts[1] == "function" {
		name = parts[2] // 123456789012:function:name[:qualifier]
	} else if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i] // name:qualifier
	}
	if f, ok := fs[name]; ok {
		return f, nil
	}
	return nil, failure.New("Lambda.ResourceNotFoundException",
		fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: %s; Proxy: null)", qualifiedARN(ref), uuid.NewString()))
}

func qualifiedARN(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return "arn:aws:lambda:us-east-1:123456789012:function:" + ref
}

// Lambda returns the handler for Lambda resources: a function ARN calls the
// function with the effective input and returns its result as is;
// arn:aws:states:::lambda:invoke (also .waitForTaskToken) reads
// FunctionName and Payload from the parameters and returns Lambda's result
// envelope {ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata,
// StatusCode}.
func Lambda(fs Functions) states.TaskHandler {
	return &lambdaHandler{fs: fs, now: time.Now}
}

type lambdaHandler struct {
	fs  Functions
	now func() time.Time
}

type invokeParams struct {
	FunctionName   string          `json:"FunctionName"`
	Payload        json.RawMessage `json:"Payload"`
	InvocationType string          `json:"InvocationType"`
	Qualifier      string          `json:"Qualifier"`
}

func (h *lambdaHandler) Invoke(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
	if strings.HasPrefix(req.Resource, LambdaARNPrefix) {
		f, err := h.fs.lookup(req.Resource)
		if err != nil {
			return nil, err
		}
		return f.Call(ctx, req.Input)
	}
	var p invokeParams
	if err := json.Unmarshal(req.Input, &p); err != nil {
		return nil, failure.Newf(failure.TaskFailed, "Invalid lambda:invoke parameters: %v", err)
	}
	if p.FunctionName == "" {
		return nil, failure.New("Lambda.ValidationException", "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	f, err := h.fs.lookup(p.FunctionName)
	if err != nil {
		return nil, err
	}
	payload := []byte(p.Payload)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	reqID := uuid.NewString()
	if p.InvocationType == "Event" {
		go func() { _, _ = f.Call(context.WithoutCancel(ctx), payload) }()
		return envelope(nil, 202, reqID, h.now(), "")
	}
	out, err := f.Call(ctx, payload)
	if err != nil {
		return nil, err
	}
	if req.Pattern == states.WaitForTaskToken {
		return nil, nil
	}
	version := "$LATEST"
	if p.Qualifier != "" {
		version = p.Qualifier
	}
	return envelope(out, 200, reqID, h.now(), version)
}

// envelope builds the lambda:invoke result as Step Functions returns it.
func envelope(payload []byte, status int, reqID string, now time.Time, version string) (json.RawMessage, error) {
	obj := jsonvalue.NewObject(5)
	if version != "" {
		obj.Set("ExecutedVersion", version)
	}
	if payload != nil {
		v, err := jsonvalue.Decode(payload)
		if err != nil {
			return nil, failure.Newf(failure.TaskFailed, "The Lambda function returned a payload that is not JSON: %v", err)
		}
		obj.Set("Payload", v)
	} else {
		obj.Set("Payload", "")
	}
	date := now.UTC().Format(time.RFC1123)
	date = strings.Replace(date, "UTC", "GMT", 1)
	length := strconv.Itoa(len(payload))
	all := jsonvalue.NewObject(8)
	headers := jsonvalue.NewObject(8)
	for _, kv := range [][2]string{
		{"Connection", "keep-alive"},
		{"Content-Length", length},
		{"Content-Type", "application/json"},
		{"Date", date},
		{"X-Amz-Executed-Version", version},
		{"x-amzn-Remapped-Content-Length", "0"},
		{"x-amzn-RequestId", reqID},
		{"X-Amzn-Trace-Id", "Root=1-" + strconv.FormatInt(now.Unix(), 16) + "-" + strings.ReplaceAll(reqID, "-", "")[:24] + ";Sampled=0"},
	} {
		if kv[1] == "" {
			continue
		}
		all.Set(kv[0], []any{kv[1]})
		headers.Set(kv[0], kv[1])
	}
	meta := jsonvalue.NewObject(3)
	meta.Set("AllHttpHeaders", all)
	meta.Set("HttpHeaders", headers)
	meta.Set("HttpStatusCode", jsonvalue.Number(strconv.Itoa(status)))
	obj.Set("SdkHttpMetadata", meta)
	rm := jsonvalue.NewObject(1)
	rm.Set("RequestId", reqID)
	obj.Set("SdkResponseMetadata", rm)
	obj.Set("StatusCode", jsonvalue.Number(strconv.Itoa(status)))
	return jsonvalue.Marshal(obj)
}
