package states_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

// golden compares got with testdata/name, rewriting it with -update.

func TestHistoryGolden(t *testing.T) {
	tests := []struct {
		name  string
		def   string
		input string
	}{
		{
			name: "every-state",
			def: `{"StartAt":"P","States":{
			  "P":{"Type":"Pass","Result":{"n":1},"ResultPath":"$.p","Next":"T"},
			  "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","TimeoutSeconds":30,"Next":"S"},
			  "S":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody.$":"$.p"},"ResultPath":null,"Next":"C"},
			  "C":{"Type":"Choice","Choices":[{"Variable":"$.p.n","NumericEquals":1,"Next":"M"}],"Default":"F"},
			  "M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.mapped","Next":"PA","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}},
			  "PA":{"Type":"Parallel","ResultPath":"$.branches","Next":"W","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","Result":1,"End":true}}},{"StartAt":"B2","States":{"B2":{"Type":"Succeed"}}}]},
			  "W":{"Type":"Wait","Seconds":60,"Next":"Done"},
			  "Done":{"Type":"Succeed","OutputPath":"$.mapped"},
			  "F":{"Type":"Fail","Error":"Unexpected"}}}`,
			input: `{"items":["a","b"]}`,
		},
		{
			name: "task-failure-retried-and-caught",
			def: `{"StartAt":"T","States":{
			  "T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Retry":[{"ErrorEquals":["Boom"],"MaxAttempts":1}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"X"}],"End":true},
			  "X":{"Type":"Fail","ErrorPath":"$.Error","CausePath":"$.Cause"}}}`,
			input: `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := states.NewRegistry()
			reg.HandlePrefix("arn:aws:lambda:", states.TaskFunc(echo))
			reg.Handle("arn:aws:states:::sqs:sendMessage", states.TaskFunc(func(context.Context, states.TaskRequest) (json.RawMessage, error) {
				return json.RawMessage(`{"MessageId":"m-1"}`), nil
			}))
			reg.Handle("arn:aws:states:::sns:publish", states.TaskFunc(func(context.Context, states.TaskRequest) (json.RawMessage, error) {
				return nil, failure.New("Boom", "sns is down")
			}))
			sm := mustParse(t, tt.def)
			eng := states.New(states.Options{Clock: states.NewVirtualClock(epoch), Tasks: reg})
			x, _, err := eng.Run(context.Background(), sm, states.StartInput{Name: "golden", Input: []byte(tt.input),
				StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:Golden"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(map[string]any{"events": x.History()}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "history-"+tt.name+".golden", append(b, '\n'))
		})
	}
}
