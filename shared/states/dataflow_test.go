package states

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// flowLanguage names the query language of a dataflow.
func flowLanguage(f dataflow) string {
	switch f.(type) {
	case *pathFlow:
		return "JSONPath"
	case *jsonataFlow:
		return "JSONata"
	}
	return fmt.Sprintf("%T", f)
}

// eachFlow visits the data flow of every state of g and its nested graphs,
// and of their catchers and Choice rules, with the state's own.
func eachFlow(g *graph, visit func(where string, st *state, f dataflow)) {
	for _, name := range g.order {
		st := g.states[name]
		visit(name, st, st.flow)
		var r *retrying
		switch k := st.kind.(type) {
		case *taskState:
			r = &k.retrying
		case *parallelState:
			r = &k.retrying
		case *mapState:
			r = &k.retrying
		case *choiceState:
			for i, rule := range k.choices {
				visit(fmt.Sprintf("%s/Choices/%d", name, i), st, rule.flow)
			}
		}
		if r != nil {
			for i, c := range r.catch {
				visit(fmt.Sprintf("%s/Catch/%d", name, i), st, c.flow)
			}
		}
		st.kind.subgraphs(name, func(sub *graph, _ string) { eachFlow(sub, visit) })
	}
}

// TestDataflowLanguage checks that Parse gives every state, catcher and
// Choice rule the data flow of its state's query language.
func TestDataflowLanguage(t *testing.T) {
	const task = `"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]`
	tests := []struct {
		name string
		def  string
		want map[string]string // state name -> language
	}{
		{
			name: "JSONPath by default",
			def: `{"StartAt": "P", "States": {
				"P": {"Type": "Pass", "Next": "C"},
				"C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "T"}], "Default": "W"},
				"W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
				"T": {` + task + `, "Next": "Done"},
				"Done": {"Type": "Succeed"}}}`,
			want: map[string]string{"P": "JSONPath", "C": "JSONPath", "W": "JSONPath", "T": "JSONPath", "Done": "JSONPath"},
		},
		{
			name: "JSONata for the machine, nested graphs included",
			def: `{"QueryLanguage": "JSONata", "StartAt": "Par", "States": {
				"Par": {"Type": "Parallel", "Next": "C", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]},
				"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "M"}], "Default": "F"},
				"M": {"Type": "Map", "Next": "T", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}},
				"T": {` + task + `, "Next": "Done"},
				"F": {"Type": "Fail", "Error": "E"},
				"Done": {"Type": "Succeed"}}}`,
			want: map[string]string{"Par": "JSONata", "B": "JSONata", "C": "JSONata", "M": "JSONata", "I": "JSONata", "T": "JSONata", "F": "JSONata", "Done": "JSONata"},
		},
		{
			name: "JSONata for one state",
			def: `{"StartAt": "T", "States": {
				"T": {` + task + `, "QueryLanguage": "JSONata", "Next": "P"},
				"P": {"Type": "Pass", "Next": "Done"},
				"Done": {"Type": "Succeed"}}}`,
			want: map[string]string{"T": "JSONata", "P": "JSONPath", "Done": "JSONPath"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, err := Parse([]byte(tt.def))
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			eachFlow(sm.root, func(where string, st *state, f dataflow) {
				seen[st.name] = true
				if got, want := flowLanguage(f), tt.want[st.name]; got != want {
					t.Errorf("%s: got a %s data flow, want %s", where, got, want)
				}
			})
			for name := range tt.want {
				if !seen[name] {
					t.Errorf("state %s: not visited", name)
				}
			}
		})
	}
}

// TestDataflowEveryConformanceCase checks that no valid conformance
// definition leaves a state, catcher or Choice rule without a data flow
// or with one in another language than its state's.
func TestDataflowEveryConformanceCase(t *testing.T) {
	defs, err := filepath.Glob("testdata/conformance/*/definition.asl.json")
	if err != nil || len(defs) == 0 {
		t.Fatalf("no conformance definitions: %v", err)
	}
	parsed := 0
	for _, path := range defs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sm, err := Parse(b)
		if err != nil {
			continue // a validation case
		}
		parsed++
		eachFlow(sm.root, func(where string, st *state, f dataflow) {
			if f == nil {
				t.Errorf("%s: %s: no data flow", path, where)
				return
			}
			if got, want := flowLanguage(f), flowLanguage(st.flow); got != want {
				t.Errorf("%s: %s: got a %s data flow in a %s state", path, where, got, want)
			}
		})
	}
	if parsed == 0 {
		t.Fatal("no conformance definition parsed")
	}
}
