package states_test

import (
	"fmt"
	"testing"

	"github.com/shipwave/shipwave/shared/states"
)

func TestChoiceOperators(t *testing.T) {
	tests := []struct {
		name  string
		rule  string // rule body without Next
		input string
		want  bool
	}{
		{"StringEquals", `"Variable":"$.s","StringEquals":"abc"`, `{"s":"abc"}`, true},
		{"StringEquals on number is false", `"Variable":"$.n","StringEquals":"1"`, `{"n":1}`, false},
		{"StringLessThan", `"Variable":"$.s","StringLessThan":"abd"`, `{"s":"abc"}`, true},
		{"StringGreaterThan", `"Variable":"$.s","StringGreaterThan":"abc"`, `{"s":"abc"}`, false},
		{"StringLessThanEquals", `"Variable":"$.s","StringLessThanEquals":"abc"`, `{"s":"abc"}`, true},
		{"StringGreaterThanEquals", `"Variable":"$.s","StringGreaterThanEquals":"abd"`, `{"s":"abc"}`, false},
		{"StringEqualsPath", `"Variable":"$.s","StringEqualsPath":"$.t"`, `{"s":"x","t":"x"}`, true},
		{"StringMatches star", `"Variable":"$.s","StringMatches":"log-*.txt"`, `{"s":"log-2024.txt"}`, true},
		{"StringMatches middle miss", `"Variable":"$.s","StringMatches":"a*c"`, `{"s":"abd"}`, false},
		{"StringMatches escaped star", `"Variable":"$.s","StringMatches":"a\\*c"`, `{"s":"a*c"}`, true},
		{"StringMatches escaped star is literal", `"Variable":"$.s","StringMatches":"a\\*c"`, `{"s":"abc"}`, false},
		{"StringMatches escaped backslash", `"Variable":"$.s","StringMatches":"a\\\\*"`, `{"s":"a\\bc"}`, true},
		{"StringMatches only star", `"Variable":"$.s","StringMatches":"*"`, `{"s":""}`, true},
		{"StringMatches overlapping", `"Variable":"$.s","StringMatches":"*ab*ab"`, `{"s":"xabab"}`, true},
		{"NumericEquals int and float", `"Variable":"$.n","NumericEquals":1`, `{"n":1.0}`, true},
		{"NumericEquals big ints", `"Variable":"$.n","NumericEquals":9007199254740993`, `{"n":9007199254740992}`, false},
		{"NumericLessThan", `"Variable":"$.n","NumericLessThan":1.5`, `{"n":1}`, true},
		{"NumericGreaterThan", `"Variable":"$.n","NumericGreaterThan":1`, `{"n":1}`, false},
		{"NumericLessThanEquals", `"Variable":"$.n","NumericLessThanEquals":1`, `{"n":1}`, true},
		{"NumericGreaterThanEquals", `"Variable":"$.n","NumericGreaterThanEquals":2`, `{"n":1}`, false},
		{"NumericEquals on string is false", `"Variable":"$.n","NumericEquals":1`, `{"n":"1"}`, false},
		{"NumericGreaterThanPath", `"Variable":"$.a","NumericGreaterThanPath":"$.b"`, `{"a":3,"b":2}`, true},
		{"BooleanEquals", `"Variable":"$.b","BooleanEquals":false`, `{"b":false}`, true},
		{"BooleanEquals on string is false", `"Variable":"$.b","BooleanEquals":true`, `{"b":"true"}`, false},
		{"BooleanEqualsPath", `"Variable":"$.a","BooleanEqualsPath":"$.b"`, `{"a":true,"b":true}`, true},
		{"TimestampEquals offsets", `"Variable":"$.t","TimestampEquals":"2024-01-01T01:00:00+01:00"`, `{"t":"2024-01-01T00:00:00Z"}`, true},
		{"TimestampLessThan", `"Variable":"$.t","TimestampLessThan":"2024-01-01T00:00:01Z"`, `{"t":"2024-01-01T00:00:00Z"}`, true},
		{"TimestampGreaterThanEquals", `"Variable":"$.t","TimestampGreaterThanEquals":"2024-01-01T00:00:01Z"`, `{"t":"2024-01-01T00:00:00Z"}`, false},
		{"TimestampLessThanEquals fractional", `"Variable":"$.t","TimestampLessThanEquals":"2024-01-01T00:00:00.5Z"`, `{"t":"2024-01-01T00:00:00.25Z"}`, true},
		{"Timestamp on non-timestamp string is false", `"Variable":"$.t","TimestampEquals":"2024-01-01T00:00:00Z"`, `{"t":"2024-01-01"}`, false},
		{"Timestamp lowercase t is not a timestamp", `"Variable":"$.t","IsTimestamp":true`, `{"t":"2024-01-01t00:00:00Z"}`, false},
		{"TimestampGreaterThanPath", `"Variable":"$.a","TimestampGreaterThanPath":"$.b"`, `{"a":"2024-01-02T00:00:00Z","b":"2024-01-01T00:00:00Z"}`, true},
		{"IsNull true", `"Variable":"$.v","IsNull":true`, `{"v":null}`, true},
		{"IsNull false on value", `"Variable":"$.v","IsNull":true`, `{"v":0}`, false},
		{"IsPresent missing", `"Variable":"$.v","IsPresent":true`, `{}`, false},
		{"IsPresent false missing", `"Variable":"$.v","IsPresent":false`, `{}`, true},
		{"IsPresent null", `"Variable":"$.v","IsPresent":true`, `{"v":null}`, true},
		{"IsNumeric", `"Variable":"$.v","IsNumeric":true`, `{"v":1.5}`, true},
		{"IsNumeric string", `"Variable":"$.v","IsNumeric":true`, `{"v":"1"}`, false},
		{"IsString", `"Variable":"$.v","IsString":true`, `{"v":"x"}`, true},
		{"IsBoolean", `"Variable":"$.v","IsBoolean":false`, `{"v":1}`, true},
		{"IsTimestamp", `"Variable":"$.v","IsTimestamp":true`, `{"v":"2016-03-14T01:59:00Z"}`, true},
		{"And", `"And":[{"Variable":"$.a","NumericGreaterThanEquals":20},{"Variable":"$.a","NumericLessThan":30}]`, `{"a":25}`, true},
		{"Or", `"Or":[{"Variable":"$.a","NumericEquals":1},{"Variable":"$.a","NumericEquals":2}]`, `{"a":3}`, false},
		{"Not", `"Not":{"Variable":"$.type","StringEquals":"Private"}`, `{"type":"Public"}`, true},
		{"context variable", `"Variable":"$$.Execution.Name","StringEquals":"test"`, `{}`, true},
		{"array element", `"Variable":"$.a[1]","NumericEquals":2`, `{"a":[1,2]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"C","States":{
			  "C":{"Type":"Choice","Choices":[{%s,"Next":"Yes"}],"Default":"No"},
			  "Yes":{"Type":"Pass","Result":true,"End":true},
			  "No":{"Type":"Pass","Result":false,"End":true}}}`, tt.rule)
			res, _ := runMachine(t, def, tt.input, states.Options{})
			if res.Status != states.StatusSucceeded {
				t.Fatalf("got status %s (%s: %s), want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			if got := string(res.Output) == "true"; got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChoiceFailures(t *testing.T) {
	tests := []struct {
		name      string
		def       string
		input     string
		wantError string
		wantCause string
	}{
		{
			name:      "missing variable",
			def:       `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","StringEquals":"a","Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
			input:     `{}`,
			wantError: "States.Runtime",
			wantCause: "An error occurred while executing the state 'C' (entered at the event id #2). Invalid path '$.x': The choice state's condition path references an invalid value.",
		},
		{
			name:      "no match without default",
			def:       `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","StringEquals":"a","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			input:     `{"x":"b"}`,
			wantError: "States.Runtime",
			wantCause: "An error occurred while executing the state 'C' (entered at the event id #2). Failed to transition out of the state. The state does not point to a next state.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runMachine(t, tt.def, tt.input, states.Options{})
			if res.Status != states.StatusFailed || res.Error != tt.wantError {
				t.Fatalf("got %s %s, want FAILED %s", res.Status, res.Error, tt.wantError)
			}
			if tt.wantCause != "" && res.Cause != tt.wantCause {
				t.Errorf("got cause %q, want %q", res.Cause, tt.wantCause)
			}
		})
	}
}
