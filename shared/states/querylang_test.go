package states_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

func TestJSONata(t *testing.T) {
	double := states.TaskFunc(func(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
		var in struct{ N int }
		if err := json.Unmarshal(req.Input, &in); err != nil {
			return nil, err
		}
		if in.N < 0 {
			return nil, failure.New("Negative", "n < 0")
		}
		b, _ := json.Marshal(map[string]int{"doubled": in.N * 2})
		return b, nil
	})
	tests := []struct {
		name   string
		def    string
		input  string
		status string
		err    string
		cause  string
		output string
	}{
		{
			name:   "pass output and assign",
			def:    `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"total":"{% $sum($states.input.items) %}"},"Output":{"n":"{% $count($states.input.items) %}"},"Next":"Q"},"Q":{"Type":"Pass","Output":"{% {'n': $states.input.n, 'total': $total} %}","End":true}}}`,
			input:  `{"items":[1,2,3]}`,
			status: states.StatusSucceeded,
			output: `{"n":3,"total":6}`,
		},
		{
			name:   "task arguments, result and output",
			def:    `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Arguments":{"N":"{% $states.input.value %}"},"Output":{"in":"{% $states.input.value %}","out":"{% $states.result.doubled %}"},"End":true}}}`,
			input:  `{"value":21}`,
			status: states.StatusSucceeded,
			output: `{"in":21,"out":42}`,
		},
		{
			name:   "catch output from errorOutput",
			def:    `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Arguments":{"N":-1},"Catch":[{"ErrorEquals":["Negative"],"Output":{"why":"{% $states.errorOutput.Cause %}","was":"{% $states.input %}"},"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`,
			input:  `{"a":1}`,
			status: states.StatusSucceeded,
			output: `{"why":"n < 0","was":{"a":1}}`,
		},
		{
			name:   "choice condition and rule assign",
			def:    `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Assign":{"size":"big"},"Next":"R"}],"Default":"R","Assign":{"size":"small"}},"R":{"Type":"Pass","Output":"{% $size %}","End":true}}}`,
			input:  `{"n":11}`,
			status: states.StatusSucceeded,
			output: `"big"`,
		},
		{
			name:   "choice state assign applies with a rule",
			def:    `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Assign":{"size":"big"},"Next":"R"}],"Default":"R","Assign":{"seen":true,"size":"small"}},"R":{"Type":"Pass","Output":"{% [$size, $seen] %}","End":true}}}`,
			input:  `{"n":11}`,
			status: states.StatusSucceeded,
			output: `["big",true]`,
		},
		{
			name:   "map items and item selector",
			def:    `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value * 10 %}","i":"{% $states.context.Map.Item.Index %}"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Output":"{% $states.result.v %}","End":true}}}`,
			input:  `{"xs":[1,2]}`,
			status: states.StatusSucceeded,
			output: `[10,20]`,
		},
		{
			name:   "parallel arguments",
			def:    `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel","Arguments":"{% $states.input.x %}","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input + 1 %}","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"End":true}}}`,
			input:  `{"x":1}`,
			status: states.StatusSucceeded,
			output: `[2,1]`,
		},
		{
			name:   "wait seconds expression",
			def:    `{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","End":true}}}`,
			input:  `{"s":5}`,
			status: states.StatusSucceeded,
			output: `{"s":5}`,
		},
		{
			name:   "fail error and cause expressions",
			def:    `{"QueryLanguage":"JSONata","StartAt":"F","States":{"F":{"Type":"Fail","Error":"{% 'E' & $states.input.code %}","Cause":"static"}}}`,
			input:  `{"code":"42"}`,
			status: states.StatusFailed,
			err:    "E42",
			cause:  "static",
		},
		{
			name:   "undefined output is a prefixed QueryEvaluationError",
			def:    `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"v":"{% $states.input.missing %}"},"End":true}}}`,
			input:  `{}`,
			status: states.StatusFailed,
			err:    failure.QueryEvaluationError,
			cause:  "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined).",
		},
		{
			name:   "mixed languages per state",
			def:    `{"StartAt":"J","States":{"J":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"a":"{% $states.input.x * 2 %}"},"Next":"P"},"P":{"Type":"Pass","Parameters":{"b.$":"$.a"},"End":true}}}`,
			input:  `{"x":4}`,
			status: states.StatusSucceeded,
			output: `{"b":8}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runMachine(t, tt.def, tt.input, states.Options{Tasks: handlers(map[string]states.TaskFunc{fnArn: double})})
			if res.Status != tt.status || res.Error != tt.err {
				t.Fatalf("got %s %s %q, want %s %s", res.Status, res.Error, res.Cause, tt.status, tt.err)
			}
			if tt.cause != "" && res.Cause != tt.cause {
				t.Errorf("got cause %q, want %q", res.Cause, tt.cause)
			}
			if tt.output != "" && string(res.Output) != tt.output {
				t.Errorf("got output %s, want %s", res.Output, tt.output)
			}
		})
	}
}

func TestJSONataValidation(t *testing.T) {
	tests := []struct {
		name, def, want string
	}{
		{"JSONPath field in JSONata state", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","End":true}}}`,
			"The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage"},
		{"JSONPath state in JSONata machine", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`,
			"'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"},
		{"bad expression", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input. %}","End":true}}}`,
			"at /States/P/Output"},
		{"Variable in JSONata choice", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
			"field 'Variable' is only supported for the 'JSONPath' QueryLanguage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := states.Parse([]byte(tt.def))
			if err == nil || !contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
