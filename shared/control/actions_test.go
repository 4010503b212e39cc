package control_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/controlengine"
	"github.com/shipwave/shipwave/shared/loadtest"
)

// taskFunction is how a Task function decodes its input: a Router, by the
// action a state sends, or one input type for every state it serves.
type taskFunction struct {
	router        *control.Router
	input, output reflect.Type
}

// taskFunctions are the Task functions of statemachines/*.asl.json by
// their placeholder, as the engine the local stack and the scenarios run
// wires them (controlengine.Functions).
func taskFunctions() map[string]taskFunction {
	out := map[string]taskFunction{}
	h := controlengine.Handlers{Service: &control.Service{}, LoadTestAggregate: (&loadtest.Aggregator{}).Handle}
	for _, f := range controlengine.Functions(h) {
		if r, ok := f.Handler.(*control.Router); ok {
			out[f.Placeholder] = taskFunction{router: r}
			continue
		}
		t := reflect.TypeOf(f.Handler)
		out[f.Placeholder] = taskFunction{input: t.In(1), output: t.Out(0)}
	}
	return out
}

// TestActionsMatchHandlers checks, statically, every Task of
// statemachines/*.asl.json that calls one of Shipwave's functions against
// the handler's types: a state calling a Router function sends a literal
// action the Router serves (and every action is sent by some state), a
// state calling a single-action function sends none, every parameter a
// state passes is a field of its action's input type (a renamed field
// fails here, not as a zero value at run time), and every field of an
// input type is passed by some state (a field the handler reads that no
// definition sends fails too).
func TestActionsMatchHandlers(t *testing.T) {
	fns := taskFunctions()
	type use struct{ fn, action string }
	sent := map[use]map[string]bool{} // parameter keys sent, per function and action
	for _, task := range definitionTasks(t) {
		fn, ok := fns[task.function]
		if !ok {
			t.Errorf("%s: calls ${%s}, which no handler serves", task.where, task.function)
			continue
		}
		action, hasAction := task.params["action"]
		input := fn.input
		if fn.router != nil {
			name, literal := action.(string)
			in, known := fn.router.Input(name)
			switch {
			case !hasAction || !literal:
				t.Errorf("%s: ${%s} serves actions %v; the state must pass a literal action, it passes %v", task.where, task.function, fn.router.Actions(), action)
				continue
			case !known:
				t.Errorf("%s: action %q is not one ${%s} serves (%v)", task.where, name, task.function, fn.router.Actions())
				continue
			}
			input = in
		} else if hasAction {
			t.Errorf("%s: passes action %v to ${%s}, which serves one action and reads none", task.where, action, task.function)
		}
		u := use{task.function, ""}
		if fn.router != nil {
			u.action = action.(string)
		}
		if sent[u] == nil {
			sent[u] = map[string]bool{}
		}
		fields := jsonFields(input)
		for key := range task.params {
			if key == "action" {
				continue
			}
			sent[u][key] = true
			if !fields[key] {
				t.Errorf("%s: passes %q, which is not a field of %s (its fields: %s)", task.where, key, input, strings.Join(sortedKeys(fields), ", "))
			}
		}
	}
	for name, fn := range fns {
		actions := []string{""}
		if fn.router != nil {
			actions = fn.router.Actions()
		}
		for _, a := range actions {
			what, input := "${"+name+"}", fn.input
			if fn.router != nil {
				what = fmt.Sprintf("${%s} action %s", name, a)
				input, _ = fn.router.Input(a)
			}
			keys, used := sent[use{name, a}]
			if !used {
				t.Errorf("%s: no state calls it", what)
				continue
			}
			for f := range jsonFields(input) {
				if !keys[f] {
					t.Errorf("%s: field %q of %s is passed by no state", what, f, input)
				}
			}
		}
	}
}

// TestRouterRejects: a Router refuses, as InvalidInput naming what is
// wrong, an input with an unknown or missing action, a field its action's
// input type lacks and a field of the wrong type, before any handler runs.
func TestRouterRejects(t *testing.T) {
	r := (&control.Service{}).ShiftFunction()
	tests := []struct {
		name, payload, want string
	}{
		{"unknown action", `{"action":"promote","releaseId":"r1"}`, `unknown action "promote"`},
		{"missing action", `{"releaseId":"r1"}`, `unknown action ""`},
		{"action not a string", `{"action":7}`, "action"},
		{"not an object", `[1]`, "not a JSON object"},
		{"unknown field", `{"action":"prepare","releaseId":"r1","target":{"name":"t"},"artefact":"v2"}`, `unknown field "artefact"`},
		{"field of the wrong type", `{"action":"shift","releaseId":"r1","target":{"name":"t"},"step":{"weight":"10"}}`, "step.weight"},
		{"missing field", `{"action":"shift","target":{"name":"t"}}`, "releaseId is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Handle(t.Context(), json.RawMessage(tt.payload))
			var invalid *control.InvalidInput
			if !errors.As(err, &invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Handle(%s) = %s, %v; want InvalidInput naming %s", tt.payload, out, err, tt.want)
			}
		})
	}
}

// definitionTask is one Task state that calls a function placeholder.
type definitionTask struct {
	file, where string // file, and file and state name
	function    string // placeholder, e.g. RecordFunctionArn
	params      map[string]any
	// resultPath is where the function's output goes ("" when it is
	// reshaped: a ResultSelector, or a waitForTaskToken Task, whose result
	// is the callback's).
	resultPath string
}

// definitionTasks returns every Task of statemachines/*.asl.json, nested
// ones included, that calls a ${…FunctionArn}, with the keys of the
// payload it sends (without the ".$" of JSONPath parameters).
func definitionTasks(t *testing.T) []definitionTask {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "statemachines", "*.asl.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("definitions: %v (%d files)", err, len(files))
	}
	var out []definitionTask
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var def any
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		eachState(def, func(name string, st map[string]any) {
			if st["Type"] != "Task" {
				return
			}
			params, _ := st["Parameters"].(map[string]any)
			if params == nil {
				params, _ = st["Arguments"].(map[string]any)
			}
			res, _ := st["Resource"].(string)
			if fn, ok := params["FunctionName"].(string); ok {
				res = fn // lambda:invoke(.waitForTaskToken): the payload is the input
				params, _ = params["Payload"].(map[string]any)
			}
			if !strings.HasPrefix(res, "${") || !strings.HasSuffix(res, "FunctionArn}") {
				return
			}
			keys := map[string]any{}
			for k, v := range params {
				keys[strings.TrimSuffix(k, ".$")] = v
			}
			resultPath, _ := st["ResultPath"].(string)
			if _, reshaped := st["ResultSelector"]; reshaped || strings.HasSuffix(st["Resource"].(string), ".waitForTaskToken") {
				resultPath = ""
			}
			out = append(out, definitionTask{file: filepath.Base(f), where: filepath.Base(f) + " " + name,
				function: strings.Trim(res, "${}"), params: keys, resultPath: resultPath})
		})
	}
	if len(out) == 0 {
		t.Fatal("no Task of the definitions calls a function")
	}
	return out
}

// TestOutputsMatchReaders checks, statically, that every path a definition
// reads in a function's result ($.shift.bakeSeconds after Shift's
// ResultPath $.shift) is a field of that function's output type: a renamed
// output field fails here, not as a Choice that finds nothing.
func TestOutputsMatchReaders(t *testing.T) {
	fns := taskFunctions()
	written := map[string]map[string][]reflect.Type{} // file → $.name → output types
	for _, task := range definitionTasks(t) {
		name, simple := strings.CutPrefix(task.resultPath, "$.")
		fn, ok := fns[task.function]
		if !simple || !ok || strings.ContainsAny(name, ".[") {
			continue
		}
		out := fn.output
		if fn.router != nil {
			action, _ := task.params["action"].(string)
			out, _ = fn.router.Output(action)
		}
		if out == nil {
			continue // TestActionsMatchHandlers reports it
		}
		if written[task.file] == nil {
			written[task.file] = map[string][]reflect.Type{}
		}
		if !slices.Contains(written[task.file][name], out) {
			written[task.file][name] = append(written[task.file][name], out)
		}
	}
	if len(written) == 0 {
		t.Fatal("no Task of the definitions puts a function's result at a path")
	}
	read := regexp.MustCompile(`\$\.([A-Za-z]+)\.([A-Za-z]+)`)
	checked := 0
	for file, results := range written {
		b, err := os.ReadFile(filepath.Join("..", "..", "statemachines", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(b), -1) {
			for _, out := range results[m[1]] {
				checked++
				if !jsonFields(out)[m[2]] {
					t.Errorf("%s reads %s, but %s (the output put at $.%s) has no field %q (its fields: %s)",
						file, m[0], out, m[1], m[2], strings.Join(sortedKeys(jsonFields(out)), ", "))
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no definition reads a field of a function's result; the check checked nothing")
	}
}

// eachState calls visit for every state of a definition, nested ones
// (Map and Parallel) included.
func eachState(v any, visit func(string, map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if states, ok := x["States"].(map[string]any); ok {
			for name, st := range states {
				if m, ok := st.(map[string]any); ok {
					visit(name, m)
				}
			}
		}
		for _, child := range x {
			eachState(child, visit)
		}
	case []any:
		for _, child := range x {
			eachState(child, visit)
		}
	}
}

// jsonFields returns the top-level JSON keys a value of type t decodes,
// embedded structs' included.
func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
			for k := range jsonFields(f.Type) {
				out[k] = true
			}
		case !f.IsExported():
		case tag != "":
			out[tag] = true
		default:
			out[f.Name] = true
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
