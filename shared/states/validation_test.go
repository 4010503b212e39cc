package states_test

import (
	"errors"
	"testing"

	"github.com/shipwave/shipwave/shared/states"
)

func TestParseRejectsInvalidDefinitions(t *testing.T) {
	tests := []struct {
		name     string
		def      string
		code     string
		location string
	}{
		{"not json", `{`, states.CodeInvalidJSON, ""},
		{"unknown top-level field", `{"StartAt":"A","Bogus":1,"States":{"A":{"Type":"Succeed"}}}`, states.CodeSchema, "/Bogus"},
		{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, states.CodeSchema, ""},
		{"dangling StartAt", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`, states.CodeMissingTarget, "/StartAt"},
		{"dangling Next", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, states.CodeMissingTarget, "/States/A/Next"},
		{"missing Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, states.CodeSchema, "/States/A"},
		{"unknown state field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Resource":"x"}}}`, states.CodeSchema, "/States/A"},
		{"unknown state type", `{"StartAt":"A","States":{"A":{"Type":"Nope","End":true}}}`, states.CodeSchema, "/States/A/Type"},
		{"unreachable state", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, states.CodeUnreachable, "/States/B"},
		{"bad InputPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"nope","End":true}}}`, states.CodeInvalidJSONPath, "/States/A/InputPath"},
		{"ResultPath not a reference path", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, states.CodeInvalidJSONPath, "/States/A/ResultPath"},
		{"bad intrinsic in Parameters", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope(1)"},"End":true}}}`, states.CodeSchema, "/States/A/Parameters/x.$"},
		{"choice without Choices", `{"StartAt":"A","States":{"A":{"Type":"Choice","Default":"B"},"B":{"Type":"Succeed"}}}`, states.CodeSchema, "/States/A"},
		{"choice with End", `{"StartAt":"A","States":{"A":{"Type":"Choice","End":true,"Choices":[{"Variable":"$.a","IsPresent":true,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, states.CodeSchema, "/States/A"},
		{"TimeoutSeconds on Map", `{"StartAt":"M","States":{"M":{"Type":"Map","TimeoutSeconds":5,"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},"End":true}}}`, states.CodeSchema, "/States/M"},
		{"JSONata field in JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}`, states.CodeSchema, "/States/A"},
		{"choice operand of wrong type", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"1","Next":"B"}]},"B":{"Type":"Succeed"}}}`, states.CodeSchema, "/States/A/Choices/0/NumericEquals"},
		{"choice two operators", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"IsPresent":true,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, states.CodeSchema, "/States/A/Choices/0"},
		{"nested rule with Next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"B"},"Next":"B"}]},"B":{"Type":"Succeed"}}}`, states.CodeSchema, "/States/A/Choices/0/Not/Next"},
		{"choice dangling Default", `{"StartAt":"A","States":{"A":{"Type":"Choice","Default":"X","Choices":[{"Variable":"$.a","IsNull":true,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, states.CodeMissingTarget, "/States/A/Default"},
		{"bad timestamp operand", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","TimestampEquals":"yesterday","Next":"B"}]},"B":{"Type":"Succeed"}}}`, states.CodeSchema, "/States/A/Choices/0/TimestampEquals"},
		{"wait with two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, states.CodeSchema, "/States/A"},
		{"wait negative seconds", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":-1,"End":true}}}`, states.CodeSchema, "/States/A/Seconds"},
		{"task without Resource", `{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}`, states.CodeSchema, "/States/A"},
		{"heartbeat not below timeout", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}}}`, states.CodeSchema, "/States/A/HeartbeatSeconds"},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`, states.CodeSchema, "/States/A/Retry/0/ErrorEquals"},
		{"States.ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL","X"],"Next":"A"}],"End":true}}}`, states.CodeSchema, "/States/A/Catch/0/ErrorEquals"},
		{"catch dangling Next", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["X"],"Next":"Z"}],"End":true}}}`, states.CodeMissingTarget, "/States/A/Catch/0/Next"},
		{"retry unknown field", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"Foo":1}],"End":true}}}`, states.CodeSchema, "/States/A/Retry/0/Foo"},
		{"backoff below one", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}}}`, states.CodeSchema, "/States/A/Retry/0/BackoffRate"},
		{"bad jitter", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}],"End":true}}}`, states.CodeSchema, "/States/A/Retry/0/JitterStrategy"},
		{"parallel branch dangling", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}],"End":true}}}`, states.CodeMissingTarget, "/States/P/Branches/0/StartAt"},
		{"parallel no branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[],"End":true}}}`, states.CodeSchema, "/States/P/Branches"},
		{"map without processor", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`, states.CodeSchema, "/States/M"},
		{"map processor unknown field", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}},"End":true}}}`, states.CodeSchema, "/States/M/ItemProcessor/Foo"},
		{"map tolerated percentage over 100", `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":101,"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},"End":true}}}`, states.CodeSchema, "/States/M/ToleratedFailurePercentage"},
		{"map count path on context", `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCountPath":"$$.Execution.Input.n","ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},"End":true}}}`, states.CodeSchema, "/States/M/ToleratedFailureCountPath"},
		{"map literal and path", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"MaxConcurrencyPath":"$.n","ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},"End":true}}}`, states.CodeSchema, "/States/M"},
		{"fail with Error and ErrorPath", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"x","ErrorPath":"$.e"}}}`, states.CodeSchema, "/States/F"},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`, states.CodeNoTerminalState, "null"},
		{"loop with unreachable terminal", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"},"C":{"Type":"Pass","End":true}}}`, states.CodeUnreachable, "/States/C"},
		{"bad variable name", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"1x":1},"End":true}}}`, states.CodeSchema, "/States/A/Assign/1x"},
		{"inner scope reassigns outer variable", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":1},"Next":"P"},"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"v":2},"End":true}}}]}}}`, states.CodeSchema, "/States/P/Branches/0/States/B/Assign"},
		{"unknown query language", `{"QueryLanguage":"XPath","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, states.CodeSchema, "/QueryLanguage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := states.Parse([]byte(tt.def))
			var ve *states.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got error %v, want *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Code == tt.code && p.Location == tt.location {
					return
				}
			}
			t.Errorf("got problems %v, want one with code %s at %q", ve.Problems, tt.code, tt.location)
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	tests := []struct {
		name, def, want string
	}{
		{
			name: "dangling next and unreachable state",
			def:  `{"StartAt":"pass1","States":{"pass1":{"Type":"Pass","Next":"pass3"},"pass2":{"Type":"Pass","End":true}}}`,
			want: `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2'`,
		},
		{
			name: "no terminal state",
			def:  `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`,
			want: `Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'`,
		},
		{
			name: "unsupported field",
			def:  `{"StartAt":"P","States":{"P":{"Type":"Parallel","TimeoutSeconds":5,"Branches":[{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}],"End":true}}}`,
			want: `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at /States/P'`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := states.Parse([]byte(tt.def))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseAcceptsEveryStateType(t *testing.T) {
	def := `{
	  "Comment": "all types", "TimeoutSeconds": 60, "Version": "1.0",
	  "StartAt": "P",
	  "States": {
	    "P": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.r", "Assign": {"x.$": "$.r"}, "Next": "T"},
	    "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"},
	          "ResultSelector": {"p.$": "$.Payload"}, "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 5,
	          "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "MaxAttempts": 0, "BackoffRate": 1.5, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}],
	          "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "F"}], "Next": "C"},
	    "C": {"Type": "Choice", "Choices": [
	            {"And": [{"Variable": "$.a", "IsPresent": true}, {"Not": {"Variable": "$.a", "StringMatches": "x*"}}], "Next": "W"},
	            {"Variable": "$x", "NumericEqualsPath": "$.n", "Next": "PA"}], "Default": "S"},
	    "W": {"Type": "Wait", "TimestampPath": "$.ts", "Next": "PA"},
	    "PA": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}], "Next": "M"},
	    "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"i.$": "$$.Map.Item.Index"}, "MaxConcurrency": 2,
	          "ToleratedFailureCount": 1, "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "Next": "S"},
	    "S": {"Type": "Succeed", "OutputPath": "$.r"},
	    "F": {"Type": "Fail", "ErrorPath": "$.err.Error", "CausePath": "States.Format('cause: {}', $.err.Cause)"}
	  }
	}`
	if _, err := states.Parse([]byte(def)); err != nil {
		t.Fatalf("Parse: %v", err)
	}
}
