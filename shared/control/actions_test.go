package control_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestActionsMatchHandlers checks, statically, that every `action` a Task
// of statemachines/*.asl.json sends to a function that serves several
// states (record, shift, bake) is a case of that handler's `switch
// in.Action`, and that every case is sent by some Task: a renamed or
// dropped action fails here, not at run time.
func TestActionsMatchHandlers(t *testing.T) {
	// Which function placeholder each multi-action handler serves.
	handlers := map[string]string{"Record": "RecordFunctionArn", "Shift": "ShiftFunctionArn", "Bake": "BakeFunctionArn"}

	sent := map[string][]string{} // placeholder → actions sent
	files, err := filepath.Glob(filepath.Join("..", "..", "statemachines", "*.asl.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("definitions: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var def any
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		eachTask(def, func(task map[string]any) {
			fn, params := taskFunction(task)
			if a, ok := params["action"].(string); ok && fn != "" && !slices.Contains(sent[fn], a) {
				sent[fn] = append(sent[fn], a)
			}
		})
	}

	cases := switchCases(t)
	for method, fn := range handlers {
		got, want := cases[method], sent[fn]
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: handler cases %v, but the definitions send %v to ${%s}", method, got, want, fn)
		}
	}
}

// eachTask calls visit for every Task state in a definition, nested ones
// included.
func eachTask(v any, visit func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if x["Type"] == "Task" {
			visit(x)
		}
		for _, child := range x {
			eachTask(child, visit)
		}
	case []any:
		for _, child := range x {
			eachTask(child, visit)
		}
	}
}

// taskFunction returns a Task's function placeholder name (RecordFunctionArn)
// and the parameters it passes: Parameters for a direct invoke, the Payload
// for lambda:invoke.waitForTaskToken.
func taskFunction(task map[string]any) (string, map[string]any) {
	params, _ := task["Parameters"].(map[string]any)
	res, _ := task["Resource"].(string)
	if fn, ok := params["FunctionName"].(string); ok {
		res = fn
		params, _ = params["Payload"].(map[string]any)
	}
	if !strings.HasPrefix(res, "${") {
		return "", nil
	}
	return strings.Trim(res, "${}"), params
}

// switchCases reads shared/control's sources and returns, per method of
// Service, the string cases of its `switch in.Action`.
func switchCases(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		{
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv == nil || fd.Body == nil {
					continue
				}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					sw, ok := n.(*ast.SwitchStmt)
					if !ok {
						return true
					}
					sel, ok := sw.Tag.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "Action" {
						return true
					}
					for _, c := range sw.Body.List {
						for _, e := range c.(*ast.CaseClause).List {
							if lit, ok := e.(*ast.BasicLit); ok {
								if s, err := strconv.Unquote(lit.Value); err == nil {
									out[fd.Name.Name] = append(out[fd.Name.Name], s)
								}
							}
						}
					}
					return true
				})
			}
		}
	}
	return out
}
