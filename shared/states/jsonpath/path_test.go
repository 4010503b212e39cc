package jsonpath

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

const store = `{"store":{"book":[
 {"category":"reference","author":"Nigel Rees","title":"Sayings","price":8.95},
 {"category":"fiction","author":"Evelyn Waugh","title":"Sword","price":12.99},
 {"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553","price":8.99},
 {"category":"fiction","author":"J. R. R. Tolkien","title":"LOTR","isbn":"0-395","price":22.99}],
 "bicycle":{"color":"red","price":19.95}},
 "expensive":10,"a b":{"c.d":1},"s":"str","n":null,"nums":[0,1,2,3,4,5]}`

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

func TestGet(t *testing.T) {
	tests := []struct {
		name string
		path string
		want string
	}{
		{name: "root", path: "$", want: "STORE"},
		{name: "dot field", path: "$.store.bicycle.color", want: `"red"`},
		{name: "bracket field", path: "$['store']['bicycle']['color']", want: `"red"`},
		{name: "double-quoted bracket", path: `$["store"]["bicycle"]["price"]`, want: `19.95`},
		{name: "dot before bracket", path: `$.['store'].bicycle.['color']`, want: `"red"`},
		{name: "dot before filter", path: `$.store.book.[?(@.price > 20)].title`, want: `["LOTR"]`},
		{name: "bracket with special characters", path: "$['a b']['c.d']", want: `1`},
		{name: "index", path: "$.store.book[1].author", want: `"Evelyn Waugh"`},
		{name: "negative index", path: "$.store.book[-1].title", want: `"LOTR"`},
		{name: "null value", path: "$.n", want: `null`},
		{name: "wildcard array", path: "$.store.book[*].price", want: `[8.95,12.99,8.99,22.99]`},
		{name: "wildcard object", path: "$.store.bicycle.*", want: `["red",19.95]`},
		{name: "recursive field", path: "$..price", want: `[8.95,12.99,8.99,22.99,19.95]`},
		{name: "recursive from subtree", path: "$.store..color", want: `["red"]`},
		{name: "recursive index", path: "$..book[2].isbn", want: `["0-553"]`},
		{name: "slice from", path: "$.nums[4:]", want: `[4,5]`},
		{name: "slice to", path: "$.nums[:2]", want: `[0,1]`},
		{name: "slice between", path: "$.nums[1:3]", want: `[1,2]`},
		{name: "slice negative from", path: "$.nums[-2:]", want: `[4,5]`},
		{name: "slice too negative", path: "$.nums[-20:]", want: `[0,1,2,3,4,5]`},
		{name: "slice past end", path: "$.nums[4:99]", want: `[4,5]`},
		{name: "slice empty", path: "$.nums[3:1]", want: `[]`},
		{name: "index union", path: "$.nums[0,2,-1]", want: `[0,2,5]`},
		{name: "index union skips missing", path: "$.nums[1,99]", want: `[1]`},
		{name: "field union at leaf merges", path: "$.store.bicycle['color','price','nope']", want: `{"color":"red","price":19.95}`},
		{name: "field union inside path", path: "$.store['bicycle','nope'].color", want: `["red"]`},
		{name: "filter comparison", path: "$.store.book[?(@.price < 10)].title", want: `["Sayings","Moby Dick"]`},
		{name: "filter and", path: "$.store.book[?(@.category == 'fiction' && @.price > 20)].author", want: `["J. R. R. Tolkien"]`},
		{name: "filter or", path: "$.store.book[?(@.price > 20 || @.category == 'reference')].title", want: `["Sayings","LOTR"]`},
		{name: "filter exists", path: "$.store.book[?(@.isbn)].isbn", want: `["0-553","0-395"]`},
		{name: "filter not exists", path: "$.store.book[?(!@.isbn)].title", want: `["Sayings","Sword"]`},
		{name: "filter root reference", path: "$.store.book[?(@.price > $.expensive)].title", want: `["Sword","LOTR"]`},
		{name: "filter regex", path: "$.store.book[?(@.author =~ /.*melville/i)].title", want: `["Moby Dick"]`},
		{name: "filter in", path: "$.store.book[?(@.title in ['Sword','LOTR'])].price", want: `[12.99,22.99]`},
		{name: "filter nin", path: "$.store.book[?(@.category nin ['fiction'])].title", want: `["Sayings"]`},
		{name: "filter not equal counts missing", path: "$.store.book[?(@.isbn != '0-553')].title", want: `["Sayings","Sword","LOTR"]`},
		{name: "filter parentheses", path: "$.store.book[?((@.price < 9) && !(@.isbn))].title", want: `["Sayings"]`},
		{name: "filter numbers equal by value", path: "$.nums[?(@ == 2.0)]", want: `[2]`},
		{name: "filter no match", path: "$.store.book[?(@.price > 100)]", want: `[]`},
		{name: "filter on object", path: "$.store.bicycle[?(@.color == 'red')].price", want: `[19.95]`},
		{name: "length of array", path: "$.nums.length()", want: `6`},
		{name: "length of string", path: "$.s.length()", want: `3`},
		{name: "length of indefinite", path: "$.store.book[*].length()", want: `4`},
		{name: "sum of indefinite", path: "$.nums[*].sum()", want: `15.0`},
		{name: "avg of array", path: "$.nums.avg()", want: `2.5`},
		{name: "max of indefinite", path: "$.store.book[*].price.max()", want: `22.99`},
		{name: "min of indefinite", path: "$.store.book[*].price.min()", want: `8.95`},
		{name: "max of array", path: "$..price.max()", want: `22.99`},
		{name: "first and last", path: "$.nums.last()", want: `5`},
		{name: "keys", path: "$.store.bicycle.keys()", want: `["color","price"]`},
		{name: "deep wildcard", path: "$.store.bicycle..*", want: `["red",19.95]`},
		{name: "missing under wildcard is skipped", path: "$.store.book[*].isbn", want: `["0-553","0-395"]`},
	}
	doc := decode(t, store)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.path)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.path, err)
			}
			got, err := p.Get(doc)
			if err != nil {
				t.Fatalf("Get(%q): %v", tt.path, err)
			}
			want := tt.want
			if want == "STORE" {
				want = encode(t, doc)
			}
			if g := encode(t, got); g != want {
				t.Errorf("Get(%q) got %s, want %s", tt.path, g, want)
			}
		})
	}
}

func TestGetErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		want string
	}{
		{name: "missing leaf", path: "$.nope", want: "No results for path: $['nope']"},
		{name: "missing intermediate", path: "$.nope.deep", want: "Missing property in path $['nope']"},
		{name: "missing nested intermediate", path: "$.store.nope.deep", want: "Missing property in path $['store']['nope']"},
		{name: "index out of range", path: "$.store.book[9].title", want: "No results for path: $['store']['book'][9]['title']"},
		{name: "field of string", path: "$.s.x", want: "Expected to find an object with property ['x'] in path $['s'] but found 'java.lang.String'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."},
		{name: "field of null", path: "$.n.x", want: "Expected to find an object with property ['x'] in path $['n'] but found 'null'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."},
		{name: "field of array", path: "$.nums.x", want: "Expected to find an object with property ['x'] in path $['nums'] but found 'net.minidev.json.JSONArray'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."},
		{name: "field of integer", path: "$.expensive.x", want: "Expected to find an object with property ['x'] in path $['expensive'] but found 'java.lang.Integer'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."},
		{name: "index of object", path: "$.store[0]", want: "Filter: [0] can only be applied to arrays. Current context is: {\"book\":[{\"category\":\"reference\",\"author\":\"Nigel Rees\",\"title\":\"Sayings\",\"price\":8.95},{\"category\":\"fiction\",\"author\":\"Evelyn Waugh\",\"title\":\"Sword\",\"price\":12.99},{\"category\":\"fiction\",\"author\":\"Herman Melville\",\"title\":\"Moby Dick\",\"isbn\":\"0-553\",\"price\":8.99},{\"category\":\"fiction\",\"author\":\"J. R. R. Tolkien\",\"title\":\"LOTR\",\"isbn\":\"0-395\",\"price\":22.99}],\"bicycle\":{\"color\":\"red\",\"price\":19.95}}"},
		{name: "index of string", path: "$.s[0].x", want: "Filter: [0]['x'] can only be applied to arrays. Current context is: str"},
		{name: "index of null", path: "$.n[0]", want: "The path $['n'] is null"},
		{name: "wildcard under missing", path: "$.nope[*]", want: "Missing property in path $['nope']"},
		{name: "filter on primitive", path: "$.s[?(@.x)]", want: "Filter: [?] can not be applied to primitives. Current context is: str"},
	}
	doc := decode(t, store)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MustParse(tt.path).Get(doc)
			if err == nil {
				t.Fatalf("Get(%q) got nil error, want %q", tt.path, tt.want)
			}
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q) error %v does not wrap ErrNotFound", tt.path, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Get(%q) error got %q, want %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		path      string
		root      string
		definite  bool
		reference bool
	}{
		{path: "$", root: "$", definite: true, reference: true},
		{path: "$$.Execution.Id", root: "$$", definite: true, reference: true},
		{path: "$$", root: "$$", definite: true, reference: true},
		{path: "$myVar.a[0]", root: "myVar", definite: true, reference: true},
		{path: "$my_var2", root: "my_var2", definite: true, reference: true},
		{path: "$.a[*]", root: "$", definite: false, reference: false},
		{path: "$..a", root: "$", definite: false, reference: false},
		{path: "$.a[1:2]", root: "$", definite: false, reference: false},
		{path: "$.a[?(@.x)]", root: "$", definite: false, reference: false},
		{path: "$.a.length()", root: "$", definite: true, reference: false},
		{path: "$.a['b','c']", root: "$", definite: true, reference: false},
		{path: "$['b','c'].d", root: "$", definite: false, reference: false},
		{path: "$.a-b.c:d", root: "$", definite: true, reference: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := Parse(tt.path)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Root() != tt.root || p.IsDefinite() != tt.definite || p.IsReference() != tt.reference || p.String() != tt.path {
				t.Errorf("got root %q definite %v reference %v string %q, want %q %v %v %q",
					p.Root(), p.IsDefinite(), p.IsReference(), p.String(), tt.root, tt.definite, tt.reference, tt.path)
			}
			if p.IsVariable() != (tt.root != "$" && tt.root != "$$") || p.IsContext() != (tt.root == "$$") {
				t.Errorf("IsVariable/IsContext disagree with root %q", tt.root)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{path: "", want: "must start with '$'"},
		{path: "a.b", want: "must start with '$'"},
		{path: "$.", want: "empty property name"},
		{path: "$.a..", want: "empty property name"},
		{path: "$a b", want: "unexpected whitespace"},
		{path: "$[", want: "unterminated '['"},
		{path: "$['a'", want: "expected ']'"},
		{path: "$['a", want: "unterminated quoted name"},
		{path: "$[a]", want: "unexpected character 'a' after '['"},
		{path: "$[1:2:3]", want: "slice steps are not supported"},
		{path: "$[:]", want: "slice needs a start or an end"},
		{path: "$[?(@.a ==)]", want: "unexpected character ')' in filter"},
		{path: "$[?(@.a =~ /[/)]", want: "invalid regular expression"},
		{path: "$.a.foo()", want: "unsupported function foo()"},
		{path: "$.a.length().b", want: "must be the last step"},
		{path: "$[99999999999]", want: "invalid array index"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := Parse(tt.path)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) got %v, want *SyntaxError", tt.path, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "'"+tt.path+"'") {
				t.Errorf("Parse(%q) error got %q, want it to name the path and contain %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		input string
		value string
		want  string
	}{
		{name: "root replaces", path: "$", input: `{"a":1}`, value: `[1]`, want: `[1]`},
		{name: "new field appended", path: "$.b", input: `{"a":1}`, value: `2`, want: `{"a":1,"b":2}`},
		{name: "existing field keeps position", path: "$.a", input: `{"a":1,"b":2}`, value: `"x"`, want: `{"a":"x","b":2}`},
		{name: "intermediate objects created", path: "$.x.y.z", input: `{"a":1}`, value: `true`, want: `{"a":1,"x":{"y":{"z":true}}}`},
		{name: "into nested object", path: "$.a.b", input: `{"a":{"c":1}}`, value: `null`, want: `{"a":{"c":1,"b":null}}`},
		{name: "array element", path: "$.a[1]", input: `{"a":[1,2,3]}`, value: `9`, want: `{"a":[1,9,3]}`},
		{name: "negative array element", path: "$.a[-1].k", input: `{"a":[{},{"k":0}]}`, value: `1`, want: `{"a":[{},{"k":1}]}`},
		{name: "bracket notation", path: "$['x y']", input: `{}`, value: `1`, want: `{"x y":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decode(t, tt.input)
			got, err := MustParse(tt.path).Set(in, decode(t, tt.value))
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if g := encode(t, got); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
			if g := encode(t, in); g != tt.input {
				t.Errorf("Set modified its input: got %s, want %s", g, tt.input)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		input string
		want  string
	}{
		{name: "field of string", path: "$.partitioned", input: `"{\"min_size\":10}"`, want: `Unable to apply ReferencePath $.partitioned to input "{\"min_size\":10}"`},
		{name: "field of array", path: "$.a", input: `[1,2]`, want: `Unable to apply ReferencePath $.a to input [1,2]`},
		{name: "through a number", path: "$.a.b", input: `{"a":1}`, want: `Unable to apply ReferencePath $.a.b to input {"a":1}`},
		{name: "field of null", path: "$.a", input: `null`, want: `Unable to apply ReferencePath $.a to input null`},
		{name: "index out of range", path: "$.a[5]", input: `{"a":[1]}`, want: `Unable to apply ReferencePath $.a[5] to input {"a":[1]}`},
		{name: "missing array", path: "$.a[0]", input: `{}`, want: `Unable to apply ReferencePath $.a[0] to input {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MustParse(tt.path).Set(decode(t, tt.input), "v")
			if err == nil {
				t.Fatalf("Set got nil error, want %q", tt.want)
			}
			if !errors.Is(err, ErrSet) {
				t.Errorf("error %v does not wrap ErrSet", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got %q, want %q", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/paths/*.txt")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line != "" {
				f.Add(line)
			}
		}
	}
	doc := decode(f, store)
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := Parse(expr)
		if err != nil {
			return
		}
		if _, err := p.Get(doc); err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%q) error %v does not wrap ErrNotFound", expr, err)
		}
		if p.IsReference() {
			before := encode(t, doc)
			if _, err := p.Set(doc, "x"); err != nil && !errors.Is(err, ErrSet) {
				t.Fatalf("Set(%q) error %v does not wrap ErrSet", expr, err)
			}
			if encode(t, doc) != before {
				t.Fatalf("Set(%q) modified the document", expr)
			}
		}
	})
}

func BenchmarkGetDefinite(b *testing.B) {
	doc := decode(b, store)
	p := MustParse("$.store.book[2].title")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetFilter(b *testing.B) {
	doc := decode(b, store)
	p := MustParse("$.store.book[?(@.price < 10)].title")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	doc := decode(b, store)
	p := MustParse("$.result.value")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Set(doc, "x"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMember(t *testing.T) {
	tests := []struct {
		name, expr, want string
		ok               bool
	}{
		{name: "dot", expr: "$.a", want: "a", ok: true},
		{name: "bracket", expr: "$['a b']", want: "a b", ok: true},
		{name: "root", expr: "$"},
		{name: "nested", expr: "$.a.b"},
		{name: "index", expr: "$[0]"},
		{name: "context", expr: "$$.a"},
		{name: "variable", expr: "$v.a"},
		{name: "wildcard", expr: "$.*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MustParse(tt.expr).Member()
			if got != tt.want || ok != tt.ok {
				t.Errorf("Member(%s): got %q, %v, want %q, %v", tt.expr, got, ok, tt.want, tt.ok)
			}
		})
	}
}
