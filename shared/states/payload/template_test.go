package payload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

type testEnv struct {
	input any
	ctx   any
	vars  map[string]any
}

func (e testEnv) Lookup(p *jsonpath.Path) (any, error) {
	switch p.Root() {
	case "$":
		return p.Get(e.input)
	case "$$":
		return p.Get(e.ctx)
	}
	v, ok := e.vars[p.Root()]
	if !ok {
		return nil, jsonpath.ErrNotFound
	}
	return p.Get(v)
}

func (e testEnv) Input() any { return e.input }

// lookupOnly hides Input so Apply cannot print the input.
type lookupOnly struct{ env testEnv }

func (l lookupOnly) Lookup(p *jsonpath.Path) (any, error) { return l.env.Lookup(p) }

func decode(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonvalue.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func encode(t testing.TB, v any) string {
	t.Helper()
	b, err := jsonvalue.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func env(t testing.TB, input string) testEnv {
	t.Helper()
	return testEnv{
		input: decode(t, input),
		ctx:   decode(t, `{"Execution":{"Id":"arn:exec","Input":{"x":1}},"Map":{"Item":{"Index":2,"Value":{"id":"i-2"}}},"Task":{"Token":"tok"}}`),
		vars:  map[string]any{"count": decode(t, `3`), "cfg": decode(t, `{"region":"us-east-1"}`)},
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		tmpl  string
		input string
		want  string
	}{
		{
			name:  "spec example",
			tmpl:  `{"flagged":true,"parts":{"first.$":"$.vals[0]","last3.$":"$.vals[3:]"}}`,
			input: `{"flagged":7,"vals":[0,10,20,30,40,50]}`,
			want:  `{"flagged":true,"parts":{"first":0,"last3":[30,40,50]}}`,
		},
		{name: "template order kept", tmpl: `{"z":1,"b.$":"$.b","a":2}`, input: `{"b":"x"}`, want: `{"z":1,"b":"x","a":2}`},
		{name: "dollar strings are literal without .$", tmpl: `{"p":"$.a","q":"States.UUID()"}`, input: `{"a":1}`, want: `{"p":"$.a","q":"States.UUID()"}`},
		{name: "whole input", tmpl: `{"all.$":"$"}`, input: `{"a":[1]}`, want: `{"all":{"a":[1]}}`},
		{name: "context object", tmpl: `{"token.$":"$$.Task.Token","item.$":"$$.Map.Item.Value.id","idx.$":"$$.Map.Item.Index"}`, input: `{}`, want: `{"token":"tok","item":"i-2","idx":2}`},
		{name: "whole context", tmpl: `{"ex.$":"$$.Execution.Input"}`, input: `{}`, want: `{"ex":{"x":1}}`},
		{name: "variables", tmpl: `{"n.$":"$count","r.$":"$cfg.region"}`, input: `{}`, want: `{"n":3,"r":"us-east-1"}`},
		{name: "intrinsic", tmpl: `{"msg.$":"States.Format('{} items in {}', $count, $cfg.region)"}`, input: `{}`, want: `{"msg":"3 items in us-east-1"}`},
		{name: "arrays of objects", tmpl: `{"list":[{"v.$":"$.a"},{"w":1},[{"x.$":"$.b"}]]}`, input: `{"a":"A","b":"B"}`, want: `{"list":[{"v":"A"},{"w":1},[{"x":"B"}]]}`},
		{name: "indefinite path gives array", tmpl: `{"ids.$":"$.items[*].id"}`, input: `{"items":[{"id":1},{"id":2}]}`, want: `{"ids":[1,2]}`},
		{name: "indefinite path that cannot be followed gives []", tmpl: `{"a.$":"$.items[*]","b.$":"$.items[1:]","c.$":"$.x.items[:1].v","d.$":"$.o[1:]"}`, input: `{"x":{},"o":{"k":1}}`, want: `{"a":[],"b":[],"c":[],"d":[]}`},
		{name: "null selected", tmpl: `{"v.$":"$.n"}`, input: `{"n":null}`, want: `{"v":null}`},
		{name: "literal template", tmpl: `{"a":{"b":[1,2]}}`, input: `{}`, want: `{"a":{"b":[1,2]}}`},
		{name: "scalar template", tmpl: `"x"`, input: `{}`, want: `"x"`},
		{name: "empty key with .$", tmpl: `{".$":"$.a"}`, input: `{"a":1}`, want: `{"":1}`},
		{name: "duplicate output key last wins", tmpl: `{"a":1,"a.$":"$.b"}`, input: `{"b":2}`, want: `{"a":2}`},
		{name: "lambda invoke payload", tmpl: `{"FunctionName":"arn:aws:lambda:us-east-1:1:function:f","Payload":{"release.$":"$.release","token.$":"$$.Task.Token"}}`, input: `{"release":{"id":"r-1"}}`, want: `{"FunctionName":"arn:aws:lambda:us-east-1:1:function:f","Payload":{"release":{"id":"r-1"},"token":"tok"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := Compile(decode(t, tt.tmpl))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := tp.Apply(env(t, tt.input))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if g := encode(t, got); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
		})
	}
}

func TestApplyDoesNotShareDynamicContainers(t *testing.T) {
	tp, err := Compile(decode(t, `{"a":{"b.$":"$.x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := env(t, `{"x":1}`)
	first, _ := tp.Apply(e)
	second, _ := tp.Apply(e)
	a1, _ := first.(*jsonvalue.Object).Get("a")
	a1.(*jsonvalue.Object).Set("b", "changed")
	if g := encode(t, second); g != `{"a":{"b":1}}` {
		t.Errorf("second result changed through the first: %s", g)
	}
}

func TestApplyFailures(t *testing.T) {
	tests := []struct {
		name      string
		tmpl      string
		input     string
		hideInput bool
		wantName  string
		wantCause string
	}{
		{name: "missing path", tmpl: `{"JobName.$":"$.JobName"}`, input: `{}`, wantName: failure.Runtime, wantCause: `The JSONPath '$.JobName' specified for the field 'JobName.$' could not be found in the input '{}'`},
		{name: "missing deep path", tmpl: `{"missing.$":"$.nope.deep"}`, input: `{"other":1}`, wantName: failure.Runtime, wantCause: `The JSONPath '$.nope.deep' specified for the field 'missing.$' could not be found in the input '{"other":1}'`},
		{name: "nested field", tmpl: `{"outer":{"inner.$":"$.x"}}`, input: `{"a":"<&>"}`, wantName: failure.Runtime, wantCause: `The JSONPath '$.x' specified for the field 'inner.$' could not be found in the input '{"a":"<&>"}'`},
		{name: "missing intrinsic argument", tmpl: `{"value.$":"States.Base64Decode($.missing)"}`, input: `{}`, wantName: failure.Runtime, wantCause: `The function 'States.Base64Decode($.missing)' had the following error: The JsonPath argument for the field '$.missing' could not be found in the input '{}'`},
		{name: "missing context path", tmpl: `{"v.$":"$$.Execution.Nope"}`, input: `{"a":1}`, wantName: failure.Runtime, wantCause: `The JSONPath '$$.Execution.Nope' specified for the field 'v.$' could not be found in the input '{"a":1}'`},
		{name: "missing variable with a wildcard", tmpl: `{"v.$":"$nope[*]"}`, input: `{}`, wantName: failure.Runtime, wantCause: `The JSONPath '$nope[*]' specified for the field 'v.$' could not be found in the input '{}'`},
		{name: "missing variable", tmpl: `{"v.$":"$nope"}`, input: `{}`, wantName: failure.Runtime, wantCause: `The JSONPath '$nope' specified for the field 'v.$' could not be found in the input '{}'`},
		{name: "intrinsic failure", tmpl: `{"sum.$":"States.MathAdd($.a, $.b)"}`, input: `{"a":1,"b":"NOT A NUMBER"}`, wantName: failure.Runtime, wantCause: `Invalid arguments in States.MathAdd`},
		{name: "input unknown", tmpl: `{"x.$":"$.x"}`, input: `{}`, hideInput: true, wantName: failure.Runtime, wantCause: `The JSONPath '$.x' specified for the field 'x.$' could not be found in the input ''`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := Compile(decode(t, tt.tmpl))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			var e Env = env(t, tt.input)
			if tt.hideInput {
				e = lookupOnly{env(t, tt.input)}
			}
			_, err = tp.Apply(e)
			var fe *failure.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Apply got %v, want *failure.Error", err)
			}
			if fe.Name != tt.wantName || fe.Cause != tt.wantCause {
				t.Errorf("got %s %q, want %s %q", fe.Name, fe.Cause, tt.wantName, tt.wantCause)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name       string
		tmpl       string
		wantField  string
		wantParent string
		wantMsg    string
	}{
		{name: "number value", tmpl: `{"a.$":1}`, wantField: "/a.$", wantParent: "", wantMsg: "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call"},
		{name: "not a path", tmpl: `{"a.$":"hello"}`, wantField: "/a.$", wantMsg: "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call"},
		{name: "bad path", tmpl: `{"x":{"a.$":"$.a["}}`, wantField: "/x/a.$", wantParent: "/x", wantMsg: "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call"},
		{name: "bad intrinsic", tmpl: `{"a.$":"States.Nope()"}`, wantField: "/a.$", wantMsg: "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call"},
		{name: "inside array", tmpl: `{"l":[{"ok":1},{"b/c.$":null}]}`, wantField: "/l/1/b~1c.$", wantParent: "/l/1", wantMsg: "The value for the field 'b/c.$' must be a valid JSONPath or a valid intrinsic function call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(decode(t, tt.tmpl))
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile got %v, want *CompileError", err)
			}
			if ce.Field != tt.wantField || ce.Parent != tt.wantParent || ce.Msg != tt.wantMsg {
				t.Errorf("got field %q parent %q msg %q, want %q %q %q", ce.Field, ce.Parent, ce.Msg, tt.wantField, tt.wantParent, tt.wantMsg)
			}
			if !strings.Contains(ce.Error(), tt.wantField) {
				t.Errorf("Error() %q does not name the field", ce.Error())
			}
		})
	}
}

func TestIntrospection(t *testing.T) {
	tp, err := Compile(decode(t, `{"a":1,"b":{"c.$":"$.c","d.$":"States.Format('{}', $$.Execution.Id)"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range tp.Paths() {
		paths = append(paths, p.String())
	}
	if tp.IsStatic() || strings.Join(paths, ",") != "$.c,$$.Execution.Id" {
		t.Errorf("got static %v paths %v, want false [$.c $$.Execution.Id]", tp.IsStatic(), paths)
	}
	st, err := Compile(decode(t, `{"a":[1,{"b":"$.x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsStatic() || len(st.Paths()) != 0 {
		t.Errorf("literal template got static %v paths %d, want true 0", st.IsStatic(), len(st.Paths()))
	}
}

// TestGolden applies testdata/*.template.json to the matching
// *.input.json and compares with *.golden.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden templates found: %v", err)
	}
	for _, tf := range files {
		base := strings.TrimSuffix(tf, ".template.json")
		t.Run(filepath.Base(base), func(t *testing.T) {
			tb, err := os.ReadFile(tf)
			if err != nil {
				t.Fatal(err)
			}
			ib, err := os.ReadFile(base + ".input.json")
			if err != nil {
				t.Fatal(err)
			}
			tp, err := Compile(decode(t, string(tb)))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := tp.Apply(env(t, string(ib)))
			var out string
			if err != nil {
				out = "ERROR " + err.Error() + "\n"
			} else {
				out = encode(t, got) + "\n"
			}
			golden.Check(t, base+".golden", []byte(out))
		})
	}
}

func BenchmarkApply(b *testing.B) {
	tp, err := Compile(decode(b, `{"FunctionName":"arn:aws:lambda:us-east-1:1:function:f","Payload":{"release.$":"$.release","stage.$":"$.stage.name","token.$":"$$.Task.Token","n.$":"$count"}}`))
	if err != nil {
		b.Fatal(err)
	}
	e := env(b, `{"release":{"id":"r-1"},"stage":{"name":"prod"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApplyIntrinsic(b *testing.B) {
	tp, err := Compile(decode(b, `{"a.$":"States.Format('{}-{}', $.x, $.y)","b.$":"States.ArrayLength($.l)","c.$":"States.MathAdd($.n, 1)","d.$":"States.JsonToString($.o)"}`))
	if err != nil {
		b.Fatal(err)
	}
	e := env(b, `{"x":"a","y":2,"l":[1,2,3],"n":41,"o":{"k":"v"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	for _, tf := range files {
		b, err := os.ReadFile(tf)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"a.$":"$.x","b":[{"c.$":"States.Array($.y, 1)"}]}`))
	e := env(f, `{"x":1,"y":[1,2],"release":{"id":"r"}}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := jsonvalue.Decode(b)
		if err != nil {
			return
		}
		tp, err := Compile(v)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile error %T is not *CompileError", err)
			}
			return
		}
		if _, err := tp.Apply(e); err != nil {
			var fe *failure.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Apply error %T is not *failure.Error: %v", err, err)
			}
		}
	})
}
