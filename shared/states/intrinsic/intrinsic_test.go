package intrinsic

import (
	"bufio"
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

// testEnv resolves "$" against input, "$$" against ctx and "$name" against
// vars; it makes randomness deterministic.
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

func (testEnv) Int64N(n int64) int64 { return n - 1 }
func (testEnv) UUID() string         { return "5d0c4a5e-95c2-4b5e-9f4a-2b7b1c8f0e11" }

func decode(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonvalue.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func newEnv(t testing.TB, input string) testEnv {
	t.Helper()
	return testEnv{
		input: decode(t, input),
		ctx:   decode(t, `{"Execution":{"Name":"exec-1","Input":{"start":2,"end":6,"step":2}},"State":{"Name":"S"}}`),
		vars:  map[string]any{"myVar": decode(t, `{"list":[3,1,3],"name":"v"}`)},
	}
}

// eval runs expr against input and renders the result or the failure.
func eval(t testing.TB, input, expr string) string {
	t.Helper()
	c, err := Parse(expr)
	if err != nil {
		return "PARSE ERROR: " + err.Error()
	}
	v, err := c.Eval(newEnv(t, input))
	if err != nil {
		var fe *failure.Error
		var pe *PathError
		switch {
		case errors.As(err, &fe):
			return "FAIL " + fe.Name + ": " + fe.Cause
		case errors.As(err, &pe):
			return "PATH ERROR: " + pe.Path
		}
		return "ERROR: " + err.Error()
	}
	b, err := jsonvalue.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func TestEval(t *testing.T) {
	tests := []struct {
		name  string
		input string
		expr  string
		want  string
	}{
		{name: "format path", input: `{"name":"Ada"}`, expr: "States.Format('Hello {}', $.name)", want: `"Hello Ada"`},
		{name: "format scalars", input: `{"a":"x","b":2,"c":true,"d":null,"e":1.50}`, expr: "States.Format('{} {} {} {} {}', $.a, $.b, $.c, $.d, $.e)", want: `"x 2 true null 1.50"`},
		{name: "format object as a Java map", input: `{"o":{"k":[1,"v",1.0E2]}}`, expr: "States.Format('o={}', $.o)", want: `"o={k=[1, v, 100.0]}"`},
		{name: "indefinite path argument that cannot be followed is []", input: `{}`, expr: "States.ArrayLength($.items[*])", want: `0`},
		{name: "format escapes", input: `{"n":"G","s":"M"}`, expr: `States.Format('Name: \'{}\', Surname: "{}" \{\} \\', $.n, $.s)`, want: `"Name: 'G', Surname: \"M\" {} \\"`},
		{name: "format template from path", input: `{"t":"Hi {}","n":"Ada"}`, expr: "States.Format($.t, $.n)", want: `"Hi Ada"`},
		{name: "format no placeholders", input: `{}`, expr: "States.Format('plain')", want: `"plain"`},
		{name: "format too few", input: `{"a":"x"}`, expr: "States.Format('{} {}', $.a)", want: `FAIL States.Runtime: Invalid arguments in States.Format`},
		{name: "format too many", input: `{"a":"x"}`, expr: "States.Format('{}', $.a, $.a)", want: `FAIL States.Runtime: Invalid arguments in States.Format`},
		{name: "format lone brace", input: `{}`, expr: "States.Format('}')", want: `FAIL States.Runtime: Invalid arguments in States.Format`},
		{name: "format open brace", input: `{"a":"x"}`, expr: "States.Format('Hello {', $.a)", want: `FAIL States.Runtime: Invalid arguments in States.Format`},
		{name: "format non-string template", input: `{"t":1}`, expr: "States.Format($.t)", want: `FAIL States.Runtime: Invalid arguments in States.Format`},
		{name: "format context", input: `{"n":"job"}`, expr: "States.Format('{}:{}', $.n, $$.Execution.Name)", want: `"job:exec-1"`},
		{name: "format variable", input: `{}`, expr: "States.Format('{}', $myVar.name)", want: `"v"`},
		{name: "string to json", input: `{"s":"{\"a\":[1,2.0],\"b\":null}"}`, expr: "States.StringToJson($.s)", want: `{"a":[1,2.0],"b":null}`},
		{name: "string to json scalar", input: `{"s":"\"x\""}`, expr: "States.StringToJson($.s)", want: `"x"`},
		{name: "string to json empty is null like AWS", input: `{"s":""}`, expr: "States.StringToJson($.s)", want: `null`},
		{name: "format quotes a StringToJson string", input: `{}`, expr: `States.Format('{}|{}', States.StringToJson('"x"'), States.StringToJson('[1]'))`, want: `"\"x\"|[1]"`},
		{name: "string to json invalid", input: `{"s":"{"}`, expr: "States.StringToJson($.s)", want: `FAIL States.Runtime: Invalid arguments in States.StringToJson`},
		{name: "string to json non-string", input: `{"s":{}}`, expr: "States.StringToJson($.s)", want: `FAIL States.Runtime: Invalid arguments in States.StringToJson`},
		{name: "json to string", input: `{"o":{"b":1,"a":"<&>"}}`, expr: "States.JsonToString($.o)", want: `"{\"b\":1,\"a\":\"<&>\"}"`},
		{name: "array", input: `{"id":123456}`, expr: "States.Array('Foo', 2020, $.id, null, true)", want: `["Foo",2020,123456,null,true]`},
		{name: "array empty", input: `{}`, expr: "States.Array()", want: `[]`},
		{name: "array partition", input: `{"a":[1,2,3,4,5,6,7]}`, expr: "States.ArrayPartition($.a, 4)", want: `[[1,2,3,4],[5,6,7]]`},
		{name: "array partition empty", input: `{"a":[]}`, expr: "States.ArrayPartition($.a, 2)", want: `[]`},
		{name: "array partition zero", input: `{"a":[1]}`, expr: "States.ArrayPartition($.a, 0)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayPartition`},
		{name: "array partition truncates", input: `{"a":[1,2,3]}`, expr: "States.ArrayPartition($.a, 0.49)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayPartition`},
		{name: "array contains", input: `{"a":[1,{"k":[2]}],"v":{"k":[2]}}`, expr: "States.ArrayContains($.a, $.v)", want: `true`},
		{name: "array contains compares text like AWS", input: `{"a":["true","9007199254740991"],"n":9007199254740991}`, expr: "States.Array(States.ArrayContains($.a, true), States.ArrayContains($.a, $.n))", want: `[true,true]`},
		{name: "array contains key order matters like AWS", input: `{"a":[{"a":1,"b":2}],"t":{"b":2,"a":1}}`, expr: "States.ArrayContains($.a, $.t)", want: `false`},
		{name: "array contains no bool number coercion", input: `{"a":[0,1,-1,-1.5]}`, expr: "States.ArrayContains($.a, false)", want: `false`},
		{name: "array contains missing", input: `{"a":[1,2]}`, expr: "States.ArrayContains($.a, 3)", want: `false`},
		{name: "array range", input: `{}`, expr: "States.ArrayRange(1, 9, 2)", want: `[1,3,5,7,9]`},
		{name: "array range descending", input: `{}`, expr: "States.ArrayRange(5, 1, -2)", want: `[5,3,1]`},
		{name: "array range wrong direction", input: `{}`, expr: "States.ArrayRange(1, 5, -1)", want: `[]`},
		{name: "array range truncates", input: `{}`, expr: "States.ArrayRange(1.6, 1.4, 1)", want: `[1]`},
		{name: "array range truncates negative", input: `{}`, expr: "States.ArrayRange(5.4, -0.6, -2.4)", want: `[5,3,1]`},
		{name: "array range zero step", input: `{}`, expr: "States.ArrayRange(1, 10, 0)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayRange`},
		{name: "array range 1000", input: `{}`, expr: "States.ArrayLength(States.ArrayRange(1, 1000, 1))", want: `1000`},
		{name: "array range 1001", input: `{}`, expr: "States.ArrayRange(1, 1001, 1)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayRange`},
		{name: "array range from context", input: `{}`, expr: "States.ArrayRange($$.Execution.Input.start, $$.Execution.Input.end, $$.Execution.Input.step)", want: `[2,4,6]`},
		{name: "array range string", input: `{}`, expr: "States.ArrayRange('a', 5, 1)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayRange`},
		{name: "array get item", input: `{"a":[1,2,3,4,5,6,7,8,9],"i":5}`, expr: "States.ArrayGetItem($.a, $.i)", want: `6`},
		{name: "array get item truncates", input: `{"a":[10,20,30]}`, expr: "States.ArrayGetItem($.a, 1.2)", want: `20`},
		{name: "array get item out of range", input: `{"a":[10,20,30]}`, expr: "States.ArrayGetItem($.a, 3)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayGetItem`},
		{name: "array get item negative", input: `{"a":[10,20,30]}`, expr: "States.ArrayGetItem($.a, -1)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayGetItem`},
		{name: "array get item empty array", input: `{"a":[]}`, expr: "States.ArrayGetItem($.a, 999)", want: `null`},
		{name: "array get item not array", input: `{}`, expr: "States.ArrayGetItem('x', 0)", want: `FAIL States.Runtime: Invalid arguments in States.ArrayGetItem`},
		{name: "array length", input: `{"a":[1,2,3]}`, expr: "States.ArrayLength($.a)", want: `3`},
		{name: "array unique", input: `{"a":[1,2,3,3,3,3,3,3,4,1.0,{"a":1,"b":2},{"b":2,"a":1}]}`, expr: "States.ArrayUnique($.a)", want: `[1.0,{"a":1,"b":2},1,2,3,4]`},
		{name: "array unique in HashSet order like AWS", input: `{"a":[true,false,true,false]}`, expr: "States.ArrayUnique($.a)", want: `[false,true]`},
		{name: "array unique nested arrays like AWS", input: `{"a":[[1,2],[1,2],[2,1]]}`, expr: "States.ArrayUnique($.a)", want: `[[2,1],[1,2]]`},
		{name: "array unique nulls like AWS", input: `{"a":[null,null,1,null]}`, expr: "States.ArrayUnique($.a)", want: `[null,1]`},
		{name: "array unique lookalikes like AWS", input: `{"a":[1,"1",1,"01"]}`, expr: "States.ArrayUnique($.a)", want: `[1,"1","01"]`},
		{name: "array unique documented example", input: `{"a":[1,2,3,3,3,3,3,3,4]}`, expr: "States.ArrayUnique($.a)", want: `[1,2,3,4]`},
		{name: "array contains number vs string", input: `{"a":[1,2,3],"t":"1"}`, expr: "States.ArrayContains($.a, $.t)", want: `false`},
		{name: "math add rounds like AWS", input: `{"a":1.6,"b":2.7}`, expr: "States.MathAdd($.a, $.b)", want: `5`},
		{name: "math add overflow", input: `{}`, expr: "States.MathAdd(2147483647, 1)", want: `FAIL States.Runtime: Invalid arguments in States.MathAdd`},
		{name: "math add underflow", input: `{}`, expr: "States.MathAdd(-2147483648, -1)", want: `FAIL States.Runtime: Invalid arguments in States.MathAdd`},
		{name: "json merge string flag accepted", input: `{"a":{"x":1},"b":{"y":2},"d":"false"}`, expr: "States.JsonMerge($.a, $.b, $.d)", want: `{"x":1,"y":2}`},
		{name: "array unique variable", input: `{}`, expr: "States.ArrayUnique($myVar.list)", want: `[1,3]`},
		{name: "base64 encode", input: `{"s":"Data to encode"}`, expr: "States.Base64Encode($.s)", want: `"RGF0YSB0byBlbmNvZGU="`},
		{name: "base64 encode unicode", input: `{}`, expr: "States.Base64Encode('✓')", want: `"4pyT"`},
		{name: "base64 decode", input: `{"s":"RGF0YSB0byBlbmNvZGU="}`, expr: "States.Base64Decode($.s)", want: `"Data to encode"`},
		{name: "base64 decode lenient spaces", input: `{}`, expr: "States.Base64Decode(' YWJjZA== ')", want: `"abcd"`},
		{name: "base64 decode no padding", input: `{}`, expr: "States.Base64Decode('abc')", want: "\"i\uFFFD\""},
		{name: "base64 decode nul", input: `{"s":"YWJjAGRlZg=="}`, expr: "States.Base64Decode($.s)", want: `"abc\u0000def"`},
		{name: "base64 decode number", input: `{}`, expr: "States.Base64Decode(123)", want: `FAIL States.Runtime: Invalid arguments in States.Base64Decode`},
		{name: "base64 decode arity", input: `{}`, expr: "States.Base64Decode()", want: `FAIL States.Runtime: Invalid arguments in States.Base64Decode`},
		{name: "hash md5", input: `{}`, expr: "States.Hash('hello', 'MD5')", want: `"5d41402abc4b2a76b9719d911017c592"`},
		{name: "hash sha1", input: `{}`, expr: "States.Hash('hello', 'SHA-1')", want: `"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"`},
		{name: "hash sha256", input: `{}`, expr: "States.Hash('hello', 'SHA-256')", want: `"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"`},
		{name: "hash sha384", input: `{}`, expr: "States.Hash('hello', 'SHA-384')", want: `"59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f"`},
		{name: "hash sha512", input: `{}`, expr: "States.Hash('hello', 'SHA-512')", want: `"9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"`},
		{name: "hash unicode", input: `{"s":"こんにちは"}`, expr: "States.Hash($.s, 'SHA-256')", want: `"125aeadf27b0459b8760c13a3d80912dfa8a81a68261906f60d87f4a0268646c"`},
		{name: "hash nested format", input: `{"a":"x","b":"y"}`, expr: "States.Hash(States.Format('{}:{}', $.a, $.b), 'SHA-256')", want: `"1274e286686b54fe765ec40735665b4bf789cee2a5b22124c5e0491a88e15271"`},
		{name: "hash lowercase algorithm", input: `{}`, expr: "States.Hash('data', 'sha-256')", want: `FAIL States.Runtime: Invalid arguments in States.Hash`},
		{name: "hash numeric algorithm", input: `{}`, expr: "States.Hash('data', 123)", want: `FAIL States.Runtime: Invalid arguments in States.Hash`},
		{name: "json merge shallow", input: `{"a":{"a1":{"a11":1},"a2":2},"b":{"a1":{"b11":3},"a3":4}}`, expr: "States.JsonMerge($.a, $.b, false)", want: `{"a1":{"b11":3},"a2":2,"a3":4}`},
		{name: "json merge deep rejected", input: `{"a":{},"b":{}}`, expr: "States.JsonMerge($.a, $.b, true)", want: `FAIL States.Runtime: Invalid arguments in States.JsonMerge`},
		{name: "json merge non-object", input: `{"a":[],"b":{}}`, expr: "States.JsonMerge($.a, $.b, false)", want: `FAIL States.Runtime: Invalid arguments in States.JsonMerge`},
		{name: "math random uses env", input: `{}`, expr: "States.MathRandom(1, 999)", want: `998`},
		{name: "math random seeded like java.util.Random", input: `{}`, expr: "States.MathRandom(0, 100, 42)", want: `30`},
		{name: "math random seeded power of two", input: `{}`, expr: "States.MathRandom(0, 16, 42)", want: `11`},
		{name: "math random equal bounds", input: `{}`, expr: "States.MathRandom(1, 1)", want: `FAIL States.Runtime: Invalid arguments in States.MathRandom`},
		{name: "math random reversed", input: `{}`, expr: "States.MathRandom(10, 5)", want: `FAIL States.Runtime: Invalid arguments in States.MathRandom`},
		{name: "math random truncated to empty", input: `{}`, expr: "States.MathRandom(1.4, 1.6)", want: `FAIL States.Runtime: Invalid arguments in States.MathRandom`},
		{name: "math random null seed", input: `{}`, expr: "States.MathRandom(1, 10, null)", want: `FAIL States.Runtime: Invalid arguments in States.MathRandom`},
		{name: "math add", input: `{"v":111,"s":-1}`, expr: "States.MathAdd($.v, $.s)", want: `110`},
		{name: "math add rounds half up", input: `{}`, expr: "States.MathAdd(2.5, -2.5)", want: `1`},
		{name: "math add string", input: `{"a":1,"b":"NOT A NUMBER"}`, expr: "States.MathAdd($.a, $.b)", want: `FAIL States.Runtime: Invalid arguments in States.MathAdd`},
		{name: "math add out of range", input: `{}`, expr: "States.MathAdd(2147483648, 1)", want: `FAIL States.Runtime: Invalid arguments in States.MathAdd`},
		{name: "string split", input: `{"s":"1,2,3,4,5","d":","}`, expr: "States.StringSplit($.s, $.d)", want: `["1","2","3","4","5"]`},
		{name: "string split many delimiters", input: `{"s":"This.is+a,test=string","d":".+,="}`, expr: "States.StringSplit($.s, $.d)", want: `["This","is","a","test","string"]`},
		{name: "string split drops empty", input: `{}`, expr: "States.StringSplit(',a,,b,', ',')", want: `["a","b"]`},
		{name: "uuid uses env", input: `{}`, expr: "States.UUID()", want: `"5d0c4a5e-95c2-4b5e-9f4a-2b7b1c8f0e11"`},
		{name: "uuid arity", input: `{}`, expr: "States.UUID(1)", want: `FAIL States.Runtime: Invalid arguments in States.UUID`},
		{name: "nested calls", input: `{"arn":"arn:aws:imagebuilder:us-east-1:1:image/recipe-x/1.2.3"}`, expr: "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 1))", want: `"1.2"`},
		{name: "missing path", input: `{}`, expr: "States.Base64Decode($.missing)", want: `PATH ERROR: $.missing`},
		{name: "missing nested path", input: `{}`, expr: "States.Format('{}', States.JsonToString($.a.b))", want: `PATH ERROR: $.a.b`},
		{name: "path with comma in brackets", input: `{"a,b":"x"}`, expr: "States.Format('{}', $['a,b'])", want: `"x"`},
		{name: "path with filter", input: `{"a":[{"v":1},{"v":2}]}`, expr: "States.ArrayLength($.a[?(@.v > 1)])", want: `1`},
		{name: "whitespace between arguments", input: `{"a":"x"}`, expr: "States.Format( '{}' ,  $.a )", want: `"x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eval(t, tt.input, tt.expr); got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.expr, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{expr: "States.Nope()", want: "unknown intrinsic function States.Nope"},
		{expr: "States.Format('x'", want: "missing ')'"},
		{expr: "States.Format('x)", want: "unterminated string literal"},
		{expr: "States.Format('x') extra", want: "unexpected text after the closing ')'"},
		{expr: "States.Format('{}', $.a,)", want: "empty argument"},
		{expr: "States.Format(abc)", want: "invalid argument 'abc'"},
		{expr: "States.Format($.a[)", want: "invalid path argument"},
		{expr: "Format('x')", want: "expected an intrinsic function name"},
		{expr: "States.Array(1 2)", want: "unexpected '2'"},
		{expr: "States.Array(01)", want: "invalid argument '01'"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse got %v, want *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestIsIntrinsic(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{in: "States.UUID()", want: true},
		{in: "States.Format('{}', $.a)", want: true},
		{in: "$.a", want: false},
		{in: "States.Format", want: false},
		{in: "states.UUID()", want: false},
	}
	for _, tt := range tests {
		if got := IsIntrinsic(tt.in); got != tt.want {
			t.Errorf("IsIntrinsic(%q) got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPaths(t *testing.T) {
	c, err := Parse("States.Format('{} {}', $.a, States.JsonToString($$.Execution.Input))")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Paths() {
		got = append(got, p.String())
	}
	if strings.Join(got, ",") != "$.a,$$.Execution.Input" || c.Name() != "States.Format" {
		t.Errorf("got paths %v name %s, want [$.a $$.Execution.Input] States.Format", got, c.Name())
	}
}

// TestGolden evaluates every "input<TAB>expression" line of
// testdata/eval.txt and compares with testdata/eval.golden.
func TestGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "eval.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		input, expr, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("testdata/eval.txt: line %q has no tab", line)
		}
		out.WriteString(expr + "\n=> " + eval(t, input, expr) + "\n")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "eval.golden"), []byte(out.String()))
}

func FuzzParse(f *testing.F) {
	fh, err := os.ReadFile(filepath.Join("testdata", "eval.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(fh), "\n") {
		if _, expr, ok := strings.Cut(line, "\t"); ok {
			f.Add(expr)
		}
	}
	env := newEnv(f, `{"a":[1,2,3],"s":"x,y","o":{"k":1},"n":5}`)
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T is not *SyntaxError", expr, err)
			}
			return
		}
		_, err = c.Eval(env)
		var fe *failure.Error
		var pe *PathError
		if err != nil && !errors.As(err, &fe) && !errors.As(err, &pe) {
			t.Fatalf("Eval(%q) error %T: %v", expr, err, err)
		}
	})
}

func BenchmarkEvalFormat(b *testing.B) {
	c, err := Parse("States.Format('release {} to {} at {}', $.id, $.stage, States.MathAdd($.n, 1))")
	if err != nil {
		b.Fatal(err)
	}
	env := newEnv(b, `{"id":"r-1","stage":"prod","n":5}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}
