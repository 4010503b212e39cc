package payload

import (
	"errors"
	"testing"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/payload/jsonata"
)

func TestJSONataTemplate(t *testing.T) {
	tests := []struct {
		name      string
		field     string
		tmpl      string
		want      string
		wantName  string
		wantCause string
	}{
		{name: "object with expressions", field: "Output", tmpl: `{"total":"{% $sum($states.input.items.price) %}","id":"{% $states.input.id %}","lit":"plain {% not %} x","n":1}`, want: `{"total":12.5,"id":"r-1","lit":"plain {% not %} x","n":1}`},
		{name: "whole field", field: "Output", tmpl: `"{% $states.input.items[0] %}"`, want: `{"price":10}`},
		{name: "nested arrays", field: "Arguments", tmpl: `{"list":["{% $states.input.id %}",2,{"v":"{% $count($states.input.items) %}"}]}`, want: `{"list":["r-1",2,{"v":2}]}`},
		{name: "explicit null kept", field: "Output", tmpl: `{"v":"{% $lookup($states.input, 'nil') %}"}`, want: `{"v":null}`},
		{name: "variables", field: "Assign", tmpl: `{"next":"{% $counter + 1 %}"}`, want: `{"next":4}`},
		{name: "literal template", field: "Output", tmpl: `{"a":[1,"b"]}`, want: `{"a":[1,"b"]}`},
		{name: "undefined member", field: "Output", tmpl: `{"v":"{% $states.input.missing %}"}`, wantName: failure.QueryEvaluationError, wantCause: "The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined)."},
		{name: "undefined nested member", field: "Output", tmpl: `{"a":{"b":"{%$states.input.missing%}"}}`, wantName: failure.QueryEvaluationError, wantCause: "The JSONata expression '$states.input.missing' specified for the field 'Output/a/b' returned nothing (undefined)."},
		{name: "undefined whole field", field: "Output", tmpl: `"{% $states.input.missing %}"`, wantName: failure.QueryEvaluationError, wantCause: "The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined)."},
		{name: "evaluation error", field: "Output", tmpl: `{"v":"{% $abs('x') %}"}`, wantName: failure.QueryEvaluationError, wantCause: "The JSONata expression '$abs('x')' specified for the field 'Output/v' threw an error during evaluation. T0410: Argument 1 of function \"abs\" does not match function signature"},
		{name: "memory limit", field: "Output", tmpl: `{"r":"{% [1..900000] ~> $count() %}"}`, wantName: failure.QueryEvaluationError, wantCause: "The JSONata expression '[1..900000] ~> $count()' specified for the field 'Output/r' threw an error during evaluation: Expression evaluation memory limit exceeded: Check for excessive memory usage"},
		{name: "eval is not a function", field: "Output", tmpl: `{"r":"{% $eval(\"1+1\") %}"}`, wantName: failure.QueryEvaluationError, wantCause: "The JSONata expression '$eval(\"1+1\")' specified for the field 'Output/r' threw an error during evaluation. T1006: Attempted to invoke a non-function"},
		{name: "array element error", field: "Arguments", tmpl: `{"l":[1,"{% 'a' + 1 %}"]}`, wantName: failure.QueryEvaluationError, wantCause: "The JSONata expression ''a' + 1' specified for the field 'Arguments/l[1]' threw an error during evaluation. T2001: The left side of the \"+\" operator must evaluate to a number"},
	}
	vars := map[string]any{
		"states":  decode(t, `{"input":{"id":"r-1","items":[{"price":10},{"price":2.5}],"nil":null},"context":{}}`),
		"counter": decode(t, `3`),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := CompileJSONata(tt.field, decode(t, tt.tmpl))
			if err != nil {
				t.Fatalf("CompileJSONata: %v", err)
			}
			got, err := tp.Apply(vars, jsonata.Options{})
			if tt.wantName != "" {
				var fe *failure.Error
				if !errors.As(err, &fe) {
					t.Fatalf("got %v, want *failure.Error", err)
				}
				if fe.Name != tt.wantName || fe.Cause != tt.wantCause {
					t.Errorf("got %s %q\nwant %s %q", fe.Name, fe.Cause, tt.wantName, tt.wantCause)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if g := encode(t, got); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
		})
	}
}

func TestJSONataCompileError(t *testing.T) {
	_, err := CompileJSONata("Output", decode(t, `{"a":{"b":"{% $x + %}"}}`))
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want *CompileError", err)
	}
	if ce.Field != "/a/b" || ce.Parent != "/a" || ce.Key != "Output/a/b" {
		t.Errorf("got field %q parent %q key %q, want /a/b /a Output/a/b", ce.Field, ce.Parent, ce.Key)
	}
	if want := "Unexpected end of expression"; ce.Msg != want || ce.Code != "INVALID_JSONATA_EXPRESSION" {
		t.Errorf("got %s %q, want INVALID_JSONATA_EXPRESSION %q", ce.Code, ce.Msg, want)
	}
}

func TestJSONataTopLevelReference(t *testing.T) {
	tests := []struct {
		tmpl string
		want string // "" = accepted
	}{
		{tmpl: `{"v":"{% phone %}"}`, want: "Reference to 'phone' at the top level is not supported."},
		{tmpl: `{"v":"{% $states.input.phone & name %}"}`, want: "Reference to 'name' at the top level is not supported."},
		{tmpl: `{"v":"{% $states.input.items[price > 1].name %}"}`},
		{tmpl: `{"v":"{% $map($states.input.items, function($i){ $i.name }) %}"}`},
		{tmpl: `{"v":"{% $states.input.{'n': name} %}"}`},
		{tmpl: `{"v":"{% {'a': 1}.a %}"}`},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			_, err := CompileJSONata("Output", decode(t, tt.tmpl))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want it accepted", err)
				}
				return
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want *CompileError", err)
			}
			if ce.Code != "UNSUPPORTED_JSONATA_EXPRESSION" || ce.Msg != tt.want || ce.Field != "/v" {
				t.Errorf("got %s %q at %s, want UNSUPPORTED_JSONATA_EXPRESSION %q at /v", ce.Code, ce.Msg, ce.Field, tt.want)
			}
		})
	}
}

func TestIsJSONata(t *testing.T) {
	for s, want := range map[string]bool{"{% 1 %}": true, "{%%}": true, "{% 1": false, "x {% 1 %}": false, "": false} {
		if got := IsJSONata(s); got != want {
			t.Errorf("IsJSONata(%q) got %v, want %v", s, got, want)
		}
	}
}

func TestJSONataApplyItems(t *testing.T) {
	tests := []struct {
		name, tmpl, want, wantCause string
	}{
		{name: "array", tmpl: `"{% $states.input.items %}"`, want: `[{"price":10},{"price":2.5}]`},
		{name: "literal array with expressions", tmpl: `[1,"{% $states.input.id %}"]`, want: `[1,"r-1"]`},
		{name: "number", tmpl: `"{% $count($states.input.items) %}"`, wantCause: "The JSONata expression '$count($states.input.items)' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 2"},
		{name: "object", tmpl: `"{% $states.input.items[0] %}"`, wantCause: "The JSONata expression '$states.input.items[0]' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {\"price\":10}"},
		{name: "string", tmpl: `"{% $states.input.id %}"`, wantCause: "The JSONata expression '$states.input.id' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: \"r-1\""},
		{name: "null", tmpl: `"{% $states.input.nil %}"`, wantCause: "The JSONata expression '$states.input.nil' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'null' for value: null"},
		{name: "function", tmpl: `"{% $sum %}"`, wantCause: "The JSONata expression '$sum' for the field 'Items' returned an unsupported result type."},
		{name: "undefined", tmpl: `"{% $states.input.missing %}"`, wantCause: "The JSONata expression '$states.input.missing' specified for the field 'Items' returned nothing (undefined)."},
	}
	vars := map[string]any{"states": decode(t, `{"input":{"id":"r-1","items":[{"price":10},{"price":2.5}],"nil":null},"context":{}}`)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := CompileJSONata("Items", decode(t, tt.tmpl))
			if err != nil {
				t.Fatalf("CompileJSONata: %v", err)
			}
			got, err := tp.ApplyItems(vars, jsonata.Options{})
			if tt.wantCause != "" {
				var fe *failure.Error
				if !errors.As(err, &fe) || fe.Name != failure.QueryEvaluationError || fe.Cause != tt.wantCause {
					t.Fatalf("got %v (%v), want %s %q", got, err, failure.QueryEvaluationError, tt.wantCause)
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyItems: %v", err)
			}
			if g := encode(t, got); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
		})
	}
}
