package template_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/tests/template"
)

// root is the repository root, relative to this package.
const root = "../.."

type resource struct {
	ID         string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Condition  string
}

type tmpl struct {
	raw        map[string]any
	resources  map[string]resource
	parameters map[string]any
	globals    map[string]any
}

func load(t testing.TB) *tmpl {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := template.Parse(data)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	tp := &tmpl{raw: raw, resources: map[string]resource{}}
	tp.parameters, _ = raw["Parameters"].(map[string]any)
	if g, ok := raw["Globals"].(map[string]any); ok {
		tp.globals, _ = g["Function"].(map[string]any)
	}
	res, ok := raw["Resources"].(map[string]any)
	if !ok {
		t.Fatal("template.yaml has no Resources")
	}
	for id, v := range res {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("resource %s is not a mapping", id)
		}
		r := resource{ID: id}
		r.Type, _ = m["Type"].(string)
		r.Properties, _ = m["Properties"].(map[string]any)
		r.Metadata, _ = m["Metadata"].(map[string]any)
		r.Condition, _ = m["Condition"].(string)
		tp.resources[id] = r
	}
	return tp
}

// ofType returns the resources of a type, sorted by id.
func (tp *tmpl) ofType(typ string) []resource {
	var out []resource
	for _, r := range tp.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// path walks nested maps by keys.
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

// canonical renders v as JSON with sorted keys, for comparisons.
func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}

var makeTarget = regexp.MustCompile(`(?m)^build-([A-Za-z0-9]+):\s*;\s*\$\(call sam-build,([a-z0-9-]+)\)\s*$`)

// buildTargets maps each build-<LogicalId> target of the Makefile to the
// functions/ directory it builds.
func buildTargets(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range makeTarget.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// functionDirs lists the directories under functions/.
func functionDirs(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// refs collects every name a value refers to: Ref, Fn::GetAtt resources,
// ${Name} and ${Name.Attr} in Fn::Sub strings, and Fn::If conditions.
func refs(v any, out map[string]bool, conds map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "Ref":
				if s, ok := e.(string); ok {
					out[s] = true
				}
			case "Fn::GetAtt":
				if l := list(e); len(l) > 0 {
					if s, ok := l[0].(string); ok {
						out[s] = true
					}
				}
			case "Fn::Sub":
				s, _ := e.(string)
				if l, ok := e.([]any); ok && len(l) > 0 {
					s, _ = l[0].(string)
				}
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					name, _, _ := strings.Cut(m[1], ".")
					out[name] = true
				}
			case "Fn::If":
				if l := list(e); len(l) > 0 {
					if s, ok := l[0].(string); ok {
						conds[s] = true
					}
				}
			}
			refs(e, out, conds)
		}
	case []any:
		for _, e := range x {
			refs(e, out, conds)
		}
	}
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustString(t testing.TB, v any, what string) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s = %v, want a string", what, v)
	}
	return s
}

func describe(v any) string { return fmt.Sprintf("%v", v) }
