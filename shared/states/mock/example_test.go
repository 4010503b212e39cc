package mock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/mock"
)

// A test case answers the Task states it names; the first invocation of
// Charge is throttled and retried, the second returns.
func ExampleNewResolver() {
	cfg, err := mock.Parse("mock.json", []byte(`{
	  "StateMachines": {"Orders": {"TestCases": {"Throttled": {"Charge": "ThrottledOnce"}}}},
	  "MockedResponses": {"ThrottledOnce": {
	    "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "Rate exceeded"}},
	    "1": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}
	  }}
	}`))
	if err != nil {
		panic(err)
	}
	resolver, err := mock.NewResolver(cfg, "Orders", "Throttled", nil)
	if err != nil {
		panic(err)
	}
	sm, err := states.Parse([]byte(`{"StartAt": "Charge", "States": {"Charge": {
	  "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	  "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
	  "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 2}],
	  "OutputPath": "$.Payload", "End": true}}}`))
	if err != nil {
		panic(err)
	}
	eng := states.New(states.Options{Clock: states.NewVirtualClock(time.Unix(0, 0)), Tasks: resolver})
	_, res, err := eng.Run(context.Background(), sm, states.StartInput{Input: []byte(`{"order":1}`)})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, string(res.Output), resolver.Invocations("Charge"))
	// Output: SUCCEEDED {"charged":true} 2
}
