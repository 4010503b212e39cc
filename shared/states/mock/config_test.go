package mock

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseExample(t *testing.T) {
	cfg, err := Parse("orders.json", readFile(t, "orders.json"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tc, err := cfg.TestCase("Orders", "FlakyCharge")
	if err != nil {
		t.Fatalf("TestCase: %v", err)
	}
	if got, want := tc.States["Charge"], "ChargeFlaky"; got != want {
		t.Errorf("Charge response: got %q, want %q", got, want)
	}
	flaky := cfg.Responses["ChargeFlaky"]
	tests := []struct {
		name       string
		invocation int
		wantOK     bool
		wantErr    string
		wantReturn string
	}{
		{name: "first", invocation: 0, wantOK: true, wantErr: "Lambda.ServiceException"},
		{name: "range start", invocation: 1, wantOK: true, wantErr: "Lambda.TooManyRequestsException"},
		{name: "range end", invocation: 2, wantOK: true, wantErr: "Lambda.TooManyRequestsException"},
		{name: "return", invocation: 3, wantOK: true, wantReturn: `{"StatusCode":200,"Payload":{"charged":true}}`},
		{name: "past the end", invocation: 4, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ok := flaky.At(tt.invocation)
			if ok != tt.wantOK {
				t.Fatalf("At(%d) ok: got %v, want %v", tt.invocation, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if tt.wantErr != "" {
				if st.Throw == nil || st.Throw.Name != tt.wantErr {
					t.Errorf("At(%d) Throw: got %+v, want error %q", tt.invocation, st.Throw, tt.wantErr)
				}
				return
			}
			if got := string(st.Return); got != tt.wantReturn {
				t.Errorf("At(%d) Return: got %s, want %s", tt.invocation, got, tt.wantReturn)
			}
		})
	}
	// Numbers keep their written form.
	if got, want := string(cfg.Responses["ChargeOK"].Steps[0].Return), `{"StatusCode":200,"Payload":{"charged":true,"amount":12.50}}`; got != want {
		t.Errorf("ChargeOK Return: got %s, want %s", got, want)
	}
}

func TestTestCaseNotFound(t *testing.T) {
	cfg, err := Parse("orders.json", readFile(t, "orders.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sm, tc, want string
	}{
		{name: "machine", sm: "Nope", tc: "HappyPath", want: `state machine "Nope" is not in StateMachines (have "Orders")`},
		{name: "case", sm: "Orders", tc: "Nope", want: `test case "Nope" is not in StateMachines.Orders.TestCases (have "FlakyCharge", "HappyPath", "PartlyReal")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cfg.TestCase(tt.sm, tt.tc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "not json", in: `{"StateMachines": `, want: "m.json:1: StateMachines: invalid JSON: unexpected end of input"},
		{name: "top-level array", in: `[]`, want: "m.json:1: must be an object, got an array"},
		{name: "unknown top field", in: "{\n\"MockedResponse\": {}}", want: "m.json:2: MockedResponse: unknown field (want StateMachines or MockedResponses)"},
		{name: "missing TestCases", in: `{"StateMachines": {"SM": {}}}`, want: "StateMachines.SM: missing field TestCases"},
		{name: "unknown machine field", in: `{"StateMachines": {"SM": {"Cases": {}}}}`, want: "StateMachines.SM.Cases: unknown field (want TestCases)"},
		{name: "state value not string", in: `{"StateMachines": {"SM": {"TestCases": {"T": {"S": 1}}}}}`, want: "StateMachines.SM.TestCases.T.S: must be a string, got a number"},
		{name: "undefined response", in: "{\"StateMachines\": {\"SM\": {\"TestCases\": {\"T\": {\n\"S\": \"Missing\"}}}}}", want: `m.json:2: StateMachines.SM.TestCases.T.S: mocked response "Missing" is not defined in MockedResponses`},
		{name: "bad key", in: `{"MockedResponses": {"R": {"first": {"Return": 1}}}}`, want: `MockedResponses.R.first: invocation key "first": want a number such as "0" or a range such as "1-2"`},
		{name: "negative key", in: `{"MockedResponses": {"R": {"-1": {"Return": 1}}}}`, want: `invocation key "-1"`},
		{name: "backwards range", in: `{"MockedResponses": {"R": {"3-1": {"Return": 1}}}}`, want: `MockedResponses.R.3-1: invocation key "3-1": range ends before it starts`},
		{name: "overlap", in: `{"MockedResponses": {"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}}`, want: `MockedResponses.R: invocation keys "0-2" and "2" overlap`},
		{name: "both", in: `{"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}}`, want: "MockedResponses.R.0: must have exactly one of Return or Throw, has 2 fields"},
		{name: "neither", in: `{"MockedResponses": {"R": {"0": {}}}}`, want: "MockedResponses.R.0: must have exactly one of Return or Throw, has 0 fields"},
		{name: "unknown outcome", in: `{"MockedResponses": {"R": {"0": {"Result": 1}}}}`, want: "MockedResponses.R.0.Result: unknown field (want Return or Throw)"},
		{name: "throw without error", in: `{"MockedResponses": {"R": {"0": {"Throw": {"Cause": "c"}}}}}`, want: "MockedResponses.R.0.Throw: missing field Error"},
		{name: "throw error not string", in: `{"MockedResponses": {"R": {"0": {"Throw": {"Error": 5}}}}}`, want: "MockedResponses.R.0.Throw.Error: must be a string, got a number"},
		{name: "throw unknown field", in: `{"MockedResponses": {"R": {"0": {"Throw": {"Error": "E", "Message": "m"}}}}}`, want: "MockedResponses.R.0.Throw.Message: unknown field (want Error or Cause)"},
		{name: "duplicate", in: `{"MockedResponses": {"R": {}, "R": {}}}`, want: "MockedResponses.R: duplicate field"},
		{name: "trailing data", in: `{} {}`, want: "unexpected data after the top-level object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("m.json", []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%s): got %+v, want error containing %q", tt.in, cfg, tt.want)
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Errorf("Parse(%s): got %T, want *Error", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s):\n got %v\nwant containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseAcceptsGapsAndEmpty(t *testing.T) {
	// Step Functions Local accepts a response with gaps or no keys and fails
	// the execution only when an undefined invocation happens.
	cfg, err := Parse("m.json", []byte(`{"MockedResponses": {"Gap": {"1": {"Return": null}}, "Empty": {}}}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if _, ok := cfg.Responses["Gap"].At(0); ok {
		t.Errorf("Gap.At(0): got ok, want no step")
	}
	st, ok := cfg.Responses["Gap"].At(1)
	if !ok || string(st.Return) != "null" {
		t.Errorf("Gap.At(1): got %+v %v, want Return null", st, ok)
	}
	if _, ok := cfg.Responses["Empty"].At(0); ok {
		t.Errorf("Empty.At(0): got ok, want no step")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readFile(f, "orders.json"))
	f.Add([]byte(`{"MockedResponses": {"R": {"0-2": {"Throw": {"Error": "E", "Cause": "C"}}}}}`))
	f.Add([]byte(`{"StateMachines": {"S": {"TestCases": {"T": {"X": "R"}}}}, "MockedResponses": {"R": {"0": {"Return": [1, {"a": "b"}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.json", data)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("Parse error %T %v, want *Error", err, err)
			}
			return
		}
		for _, r := range cfg.Responses {
			for i, st := range r.Steps {
				if (st.Return == nil) == (st.Throw == nil) {
					t.Fatalf("step %d of %s: want exactly one of Return and Throw", i, r.Name)
				}
				if st.Return != nil && !json.Valid(st.Return) {
					t.Fatalf("step %d of %s: Return %q is not valid JSON", i, r.Name, st.Return)
				}
				if got, ok := r.At(st.First); !ok || got.First != st.First {
					t.Fatalf("At(%d) of %s: got %+v %v", st.First, r.Name, got, ok)
				}
			}
		}
	})
}
