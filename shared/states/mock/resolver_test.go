package mock_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/mock"
)

const ordersDefinition = `{
  "StartAt": "Charge",
  "States": {
    "Charge": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
      "Retry": [{"ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "MaxAttempts": 3}],
      "ResultSelector": {"charged.$": "$.Payload.charged"},
      "ResultPath": "$.charge",
      "Next": "Notify"
    },
    "Notify": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sns:publish",
      "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:orders", "Message.$": "$.id"},
      "ResultPath": "$.notify",
      "End": true
    }
  }
}`

func loadConfig(t testing.TB) *mock.Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "orders.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mock.Parse("orders.json", b)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func run(t testing.TB, tasks states.TaskResolver) states.Result {
	t.Helper()
	sm, err := states.Parse([]byte(ordersDefinition))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	eng := states.New(states.Options{Clock: states.NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), Tasks: tasks})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	_, res, err := eng.Run(ctx, sm, states.StartInput{Input: []byte(`{"id":"o-1"}`)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestResolverAnswersMockedStates(t *testing.T) {
	cfg := loadConfig(t)
	real := states.NewRegistry()
	var realCalls []string
	real.HandlePrefix("arn:aws:states:::sns:", states.TaskFunc(func(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
		realCalls = append(realCalls, req.StateName+" "+string(req.Input))
		return json.RawMessage(`{"MessageId":"real"}`), nil
	}))
	tests := []struct {
		name          string
		testCase      string
		wantOutput    string
		wantCharges   int
		wantRealCalls []string
	}{
		{
			name:        "happy path",
			testCase:    "HappyPath",
			wantOutput:  `{"id":"o-1","charge":{"charged":true},"notify":{"MessageId":"8b51-4375"}}`,
			wantCharges: 1,
		},
		{
			name:        "retries walk the invocation keys",
			testCase:    "FlakyCharge",
			wantOutput:  `{"id":"o-1","charge":{"charged":true},"notify":{"MessageId":"8b51-4375"}}`,
			wantCharges: 4,
		},
		{
			name:          "unmocked states reach the inner resolver",
			testCase:      "PartlyReal",
			wantOutput:    `{"id":"o-1","charge":{"charged":true},"notify":{"MessageId":"real"}}`,
			wantCharges:   1,
			wantRealCalls: []string{`Notify {"TopicArn":"arn:aws:sns:us-east-1:123456789012:orders","Message":"o-1"}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			realCalls = nil
			r, err := mock.NewResolver(cfg, "Orders", tt.testCase, real)
			if err != nil {
				t.Fatalf("NewResolver: %v", err)
			}
			res := run(t, r)
			if res.Status != states.StatusSucceeded {
				t.Fatalf("status: got %s (%s: %s), want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			if got := string(res.Output); got != tt.wantOutput {
				t.Errorf("output:\n got %s\nwant %s", got, tt.wantOutput)
			}
			if got := r.Invocations("Charge"); got != tt.wantCharges {
				t.Errorf("Charge invocations: got %d, want %d", got, tt.wantCharges)
			}
			if strings.Join(realCalls, "\n") != strings.Join(tt.wantRealCalls, "\n") {
				t.Errorf("real calls: got %q, want %q", realCalls, tt.wantRealCalls)
			}
		})
	}
}

func TestResolverFailures(t *testing.T) {
	cfg, err := mock.Parse("m.json", []byte(`{
	  "StateMachines": {"Orders": {"TestCases": {
	    "Exhausted": {"Charge": "OnceFlaky"},
	    "Thrown": {"Charge": "Broken"}
	  }}},
	  "MockedResponses": {
	    "OnceFlaky": {"0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "down"}}},
	    "Broken": {"0": {"Throw": {"Error": "Charge.Declined", "Cause": "card declined"}}}
	  }
	}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		testCase  string
		wantError string
		wantCause string
	}{
		{
			name:      "invocation without a response fails like Step Functions Local",
			testCase:  "Exhausted",
			wantError: failure.Runtime,
			wantCause: "The mocked response 'OnceFlaky' for state 'Charge' has no entry for invocation 1.",
		},
		{
			name:      "Throw keeps its error and cause",
			testCase:  "Thrown",
			wantError: "Charge.Declined",
			wantCause: "card declined",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := mock.NewResolver(cfg, "Orders", tt.testCase, nil)
			if err != nil {
				t.Fatal(err)
			}
			res := run(t, r)
			if res.Status != states.StatusFailed || res.Error != tt.wantError || !strings.HasSuffix(res.Cause, tt.wantCause) {
				t.Errorf("got %s %s %q, want FAILED %s ending %q", res.Status, res.Error, res.Cause, tt.wantError, tt.wantCause)
			}
		})
	}
}

func TestNewResolverUnknownTestCase(t *testing.T) {
	_, err := mock.NewResolver(loadConfig(t), "Orders", "Missing", nil)
	if err == nil || !strings.Contains(err.Error(), `test case "Missing"`) {
		t.Errorf("got %v, want an error naming the test case", err)
	}
	var fe *failure.Error
	if errors.As(err, &fe) {
		t.Errorf("got a *failure.Error, want a configuration error")
	}
}
