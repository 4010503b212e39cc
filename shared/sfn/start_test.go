package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/release"
)

const machineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

// fakeSFN is a Step Functions endpoint speaking the AWS JSON 1.0 protocol. It
// records every request and answers with respond.
type fakeSFN struct {
	mu       sync.Mutex
	requests []recorded
	respond  func(body map[string]any) (status int, reply string)
}

type recorded struct {
	header http.Header
	body   map[string]any
}

func (f *fakeSFN) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(w, `{"__type":"SerializationException"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, recorded{header: r.Header.Clone(), body: body})
	f.mu.Unlock()
	status, reply := f.respond(body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	io.WriteString(w, reply)
}

// newStarter starts a fake Step Functions server and returns a Starter whose
// real sfn client talks to it.
func newStarter(t testing.TB, respond func(map[string]any) (int, string)) (*Starter, *fakeSFN) {
	t.Helper()
	fake := &fakeSFN{respond: respond}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := awssfn.New(awssfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "SECRET", ""),
		Retryer:      aws.NopRetryer{},
	})
	return &Starter{Client: client, StateMachineARN: machineARN}, fake
}

func testRelease() release.Release {
	return release.Release{
		ID:          "01JD5X7Q2W3E4R5T6Y7U8I9O0P",
		Pipeline:    "orders-api",
		SpecVersion: 3,
		Version:     "3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1",
		Status:      release.StatusPending,
		Trigger: release.Trigger{
			Kind: release.TriggerPush, Key: "push:codecommit:orders-api:refs/heads/main:0000..3e59",
			Source: "codecommit", Repository: "orders-api", Ref: "refs/heads/main", Branch: "main",
			Commit: "3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1", Time: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC),
		},
	}
}

func TestStartSendsStartExecution(t *testing.T) {
	const arn = "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:01JD5X7Q2W3E4R5T6Y7U8I9O0P"
	s, fake := newStarter(t, func(map[string]any) (int, string) {
		return 200, `{"executionArn":"` + arn + `","startDate":1.7637e9}`
	})
	r := testRelease()
	got, err := s.Start(context.Background(), r)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got != arn {
		t.Errorf("Start = %q, want %q", got, arn)
	}
	if len(fake.requests) != 1 {
		t.Fatalf("got %d requests, want 1", len(fake.requests))
	}
	req := fake.requests[0]
	if got, want := req.header.Get("X-Amz-Target"), "AWSStepFunctions.StartExecution"; got != want {
		t.Errorf("X-Amz-Target = %q, want %q", got, want)
	}
	if got, want := req.header.Get("Content-Type"), "application/x-amz-json-1.0"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got := req.header.Get("Authorization"); !strings.Contains(got, "/us-east-1/states/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for states in us-east-1", got)
	}
	if got := req.body["stateMachineArn"]; got != machineARN {
		t.Errorf("stateMachineArn = %v, want %q", got, machineARN)
	}
	if got := req.body["name"]; got != r.ID {
		t.Errorf("name = %v, want the release id %q", got, r.ID)
	}
	in, _ := req.body["input"].(string)
	var input Input
	dec := json.NewDecoder(strings.NewReader(in))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&input); err != nil {
		t.Fatalf("input %q does not decode into Input: %v", in, err)
	}
	want := Input{ReleaseID: r.ID, Pipeline: r.Pipeline, SpecVersion: r.SpecVersion, Version: r.Version, Trigger: r.Trigger}
	gotJSON, _ := json.Marshal(input)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("input = %s, want %s", gotJSON, wantJSON)
	}
	var keys map[string]json.RawMessage
	json.Unmarshal([]byte(in), &keys)
	for _, k := range []string{"releaseId", "pipeline", "specVersion", "version", "trigger"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("input has no %q field: %s", k, in)
		}
	}
}

func TestStartErrors(t *testing.T) {
	existingARN := "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:01JD5X7Q2W3E4R5T6Y7U8I9O0P"
	tests := []struct {
		name     string
		status   int
		reply    string
		wantARN  string
		wantKind error
		wantText string
	}{
		{name: "already exists is success", status: 400, reply: `{"__type":"ExecutionAlreadyExists","message":"Execution Already Exists"}`, wantARN: existingARN},
		{name: "already exists with namespaced type", status: 400, reply: `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists","message":"exists"}`, wantARN: existingARN},
		{name: "missing state machine", status: 400, reply: `{"__type":"StateMachineDoesNotExist","message":"State Machine Does Not Exist"}`, wantKind: release.ErrNotFound, wantText: "StateMachineDoesNotExist"},
		{name: "invalid name", status: 400, reply: `{"__type":"InvalidName","message":"bad"}`, wantKind: release.ErrInvalid, wantText: "InvalidName"},
		{name: "throttled", status: 400, reply: `{"__type":"ThrottlingException","message":"Rate exceeded"}`, wantText: "Rate exceeded"},
		{name: "server error", status: 500, reply: `{"__type":"InternalFailure","message":"boom"}`, wantText: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStarter(t, func(map[string]any) (int, string) { return tt.status, tt.reply })
			got, err := s.Start(context.Background(), testRelease())
			if tt.wantARN != "" {
				if err != nil || got != tt.wantARN {
					t.Fatalf("Start = %q, %v; want %q, nil", got, err, tt.wantARN)
				}
				return
			}
			if err == nil {
				t.Fatalf("Start = %q, nil; want an error", got)
			}
			if tt.wantKind != nil && !errors.Is(err, tt.wantKind) {
				t.Errorf("error %v is not %v", err, tt.wantKind)
			}
			for _, kind := range []error{release.ErrNotFound, release.ErrInvalid} {
				if tt.wantKind == nil && errors.Is(err, kind) {
					t.Errorf("error %v is %v, want a plain (retryable) error", err, kind)
				}
			}
			if !strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), "01JD5X7Q2W3E4R5T6Y7U8I9O0P") {
				t.Errorf("error = %q, want it to name %q and the release", err, tt.wantText)
			}
		})
	}
}

func TestStartRejectsBadInputWithoutCalling(t *testing.T) {
	tests := []struct {
		name    string
		machine string
		mutate  func(*release.Release)
	}{
		{name: "no id", machine: machineARN, mutate: func(r *release.Release) { r.ID = "" }},
		{name: "no pipeline", machine: machineARN, mutate: func(r *release.Release) { r.Pipeline = "" }},
		{name: "bad state machine arn", machine: "shipwave-release", mutate: func(*release.Release) {}},
		{name: "activity arn", machine: "arn:aws:states:us-east-1:1:activity:x", mutate: func(*release.Release) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := newStarter(t, func(map[string]any) (int, string) { return 200, `{}` })
			s.StateMachineARN = tt.machine
			r := testRelease()
			tt.mutate(&r)
			if _, err := s.Start(context.Background(), r); !errors.Is(err, release.ErrInvalid) {
				t.Errorf("Start error = %v, want ErrInvalid", err)
			}
			if len(fake.requests) != 0 {
				t.Errorf("sent %d requests, want none", len(fake.requests))
			}
		})
	}
}

func TestExecutionName(t *testing.T) {
	long := strings.Repeat("a", 100)
	tests := []struct {
		name   string
		id     string
		want   string // exact, when set
		prefix string
	}{
		{name: "valid id unchanged", id: "01JD5X7Q2W3E4R5T6Y7U8I9O0P", want: "01JD5X7Q2W3E4R5T6Y7U8I9O0P"},
		{name: "dashes and underscores kept", id: "orders-api_42", want: "orders-api_42"},
		{name: "exactly 80 kept", id: strings.Repeat("b", 80), want: strings.Repeat("b", 80)},
		{name: "special characters replaced", id: "orders/api:1 {x}", prefix: "orders-api-1--x--"},
		{name: "unicode replaced", id: "réléase", prefix: "r-l-ase-"},
		{name: "too long truncated", id: long, prefix: strings.Repeat("a", 67) + "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExecutionName(tt.id)
			if err != nil {
				t.Fatalf("ExecutionName(%q): %v", tt.id, err)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("ExecutionName(%q) = %q, want %q", tt.id, got, tt.want)
			}
			if tt.prefix != "" && !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("ExecutionName(%q) = %q, want prefix %q", tt.id, got, tt.prefix)
			}
			checkName(t, got)
		})
	}
	a, _ := ExecutionName("a/b")
	b, _ := ExecutionName("a:b")
	if a == b {
		t.Errorf("ExecutionName gave %q for both a/b and a:b, want distinct names", a)
	}
	if _, err := ExecutionName(""); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("ExecutionName(\"\") error = %v, want ErrInvalid", err)
	}
}

func checkName(t testing.TB, name string) {
	t.Helper()
	if len(name) < 1 || len(name) > MaxNameLength {
		t.Errorf("name %q has length %d, want 1..%d", name, len(name), MaxNameLength)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			t.Errorf("name %q contains %q", name, r)
		}
	}
}

func TestExecutionARN(t *testing.T) {
	tests := []struct {
		name    string
		machine string
		want    string
	}{
		{name: "state machine", machine: machineARN, want: "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:r1"},
		{name: "version arn", machine: machineARN + ":7", want: "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:r1"},
		{name: "other partition", machine: "arn:aws-cn:states:cn-north-1:1:stateMachine:m", want: "arn:aws-cn:states:cn-north-1:1:execution:m:r1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExecutionARN(tt.machine, "r1")
			if err != nil || got != tt.want {
				t.Errorf("ExecutionARN(%q) = %q, %v; want %q", tt.machine, got, err, tt.want)
			}
		})
	}
}

func FuzzExecutionName(f *testing.F) {
	for _, s := range []string{"01JD5X7Q2W3E4R5T6Y7U8I9O0P", "a/b", strings.Repeat("x", 90), "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got, err := ExecutionName(id)
		if id == "" {
			if err == nil {
				t.Fatal("empty id accepted")
			}
			return
		}
		if err != nil {
			t.Fatalf("ExecutionName(%q): %v", id, err)
		}
		checkName(t, got)
		again, _ := ExecutionName(id)
		if again != got {
			t.Fatalf("ExecutionName(%q) not stable: %q then %q", id, got, again)
		}
	})
}
