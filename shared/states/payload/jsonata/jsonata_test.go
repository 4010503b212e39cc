package jsonata

import (
	"errors"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

type fixedRandom struct{}

func (fixedRandom) Float64() float64 { return 0.25 }
func (fixedRandom) UUID() string     { return "8e0ba0e4-9fb8-4b73-8e2b-0c9d3c3b1d7a" }

func decode(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonvalue.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func run(t testing.TB, expr, input string) (string, error) {
	t.Helper()
	e, err := Compile(expr)
	if err != nil {
		return "", err
	}
	states := decode(t, `{"input":`+input+`,"context":{"Execution":{"Name":"ex-1","StartTime":"2026-11-22T06:00:00Z"},"State":{"Name":"S"}}}`)
	vars := map[string]any{"states": states, "n": decode(t, `2`)}
	v, err := e.Eval(Undefined, vars, Options{Random: fixedRandom{}, NowMillis: func() int64 { return 1795000000123 }})
	if err != nil {
		return "", err
	}
	if IsUndefined(v) {
		return "undefined", nil
	}
	b, err := jsonvalue.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b), nil
}

const order = `{"empty":[],"one":[1],"customer":{"name":"Ada","tier":"gold"},"items":[{"sku":"a","qty":2,"price":10.5},{"sku":"b","qty":1,"price":4},{"sku":"c","qty":5,"price":1.25}],"tags":["x","y"],"ok":true,"n":null}`

func TestEval(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string
	}{
		{name: "input field", expr: "$states.input.customer.name", want: `"Ada"`},
		{name: "whole input", expr: "$states.input.tags", want: `["x","y"]`},
		{name: "map over array", expr: "$states.input.items.sku", want: `["a","b","c"]`},
		{name: "single array element kept", expr: "$states.input.items[0].sku", want: `"a"`},
		{name: "negative index", expr: "$states.input.items[-1].qty", want: `5`},
		{name: "filter predicate", expr: "$states.input.items[qty > 1].sku", want: `["a","c"]`},
		{name: "sum of products", expr: "$sum($states.input.items.(qty * price))", want: `31.25`},
		{name: "arithmetic", expr: "1 + 2 * 3 - 4 / 8", want: `6.5`},
		{name: "integer result", expr: "$n * 21", want: `42`},
		{name: "modulo", expr: "7 % 3", want: `1`},
		{name: "float formatting", expr: "0.1 + 0.2", want: `0.30000000000000004`},
		{name: "string rounds to 15 digits", expr: "$string(0.1 + 0.2) & '|' & (0.1 + 0.2)", want: `"0.3|0.3"`},
		{name: "big number", expr: "1e21 * 10", want: `1e+22`},
		{name: "concat", expr: `"Hello, " & $states.input.customer.name & "!" & $n & true`, want: `"Hello, Ada!2true"`},
		{name: "concat undefined", expr: `"a" & $states.input.nope`, want: `"a"`},
		{name: "comparison", expr: "$states.input.customer.tier = 'gold' and $n >= 2", want: `true`},
		{name: "conditional", expr: "$n > 5 ? 'big' : 'small'", want: `"small"`},
		{name: "conditional without else", expr: "$n > 5 ? 'big'", want: `undefined`},
		{name: "in", expr: "'y' in $states.input.tags", want: `true`},
		{name: "object constructor", expr: `{"name": $states.input.customer.name, "total": $n * 2, "missing": $states.input.nope}`, want: `{"name":"Ada","total":4}`},
		{name: "array constructor", expr: "[1, $n, 'x', [2,3]]", want: `[1,2,"x",[2,3]]`},
		{name: "range", expr: "[1..4]", want: `[1,2,3,4]`},
		{name: "one-element range is a value", expr: "[1..1]", want: `1`},
		{name: "one-element array literal stays an array", expr: "[1]", want: `[1]`},
		{name: "range and more items", expr: "[0, 1..1]", want: `[0,1]`},
		{name: "block with binding", expr: "($x := 3; $y := $x * 2; $x + $y)", want: `9`},
		{name: "lambda", expr: "($double := function($v){ $v * 2 }; $double(21))", want: `42`},
		{name: "map function", expr: "$map($states.input.items, function($i){ $i.sku & $i.qty })", want: `["a2","b1","c5"]`},
		{name: "map with index", expr: "$map(['a','b'], function($v, $i){ $i })", want: `[0,1]`},
		{name: "filter function", expr: "$filter($states.input.items, function($i){ $i.price < 5 }).sku", want: `["b","c"]`},
		{name: "reduce", expr: "$reduce([1,2,3,4], function($a, $b){ $a + $b })", want: `10`},
		{name: "chain", expr: "$states.input.tags ~> $join('-')", want: `"x-y"`},
		{name: "string functions", expr: "[$uppercase('ab'), $lowercase('CD'), $length('héllo'), $substring('hello', 1, 3), $substringBefore('a-b', '-'), $substringAfter('a-b', '-'), $trim('  a   b ')]", want: `["AB","cd",5,"ell","a","b","a b"]`},
		{name: "split join replace contains", expr: "{'s': $split('a,b,c', ','), 'j': $join(['a','b'], '+'), 'r': $replace('a-b-c', '-', '_'), 'c': $contains('abc', 'bc')}", want: `{"s":["a","b","c"],"j":"a+b","r":"a_b_c","c":true}`},
		{name: "array constructor flattens", expr: "[$split('a,b', ','), [1], 'x']", want: `["a","b",[1],"x"]`},
		{name: "string of values", expr: "[$string(1.50), $string({'a':[1,'x']}), $string(true), $string('s')]", want: `["1.5","{\"a\":[1,\"x\"]}","true","s"]`},
		{name: "number", expr: "$number('42') + $number(true)", want: `43`},
		{name: "numeric functions", expr: "[$abs(-2), $floor(2.7), $ceil(2.1), $round(2.5), $round(3.5), $round(1.235, 2), $power(2, 10), $sqrt(16)]", want: `[2,2,3,2,4,1.24,1024,4]`},
		{name: "aggregates", expr: "[$max([1,5,3]), $min([4,2]), $average([1,2,3,4]), $count([1,2])]", want: `[5,2,2.5,2]`},
		{name: "array functions", expr: "{'a': $append([1],[2,3]), 'r': $reverse([1,2]), 's': $sort([3,1,2]), 'd': $distinct([1,1,2])}", want: `{"a":[1,2,3],"r":[2,1],"s":[1,2,3],"d":[1,2]}`},
		{name: "sort with function", expr: "$sort($states.input.items, function($a, $b){ $a.price > $b.price }).sku", want: `["c","b","a"]`},
		{name: "object functions", expr: "{'k': $keys($states.input.customer), 'l': $lookup($states.input.customer, 'tier'), 'm': $merge([{'a':1},{'b':2},{'a':3}])}", want: `{"k":["name","tier"],"l":"gold","m":{"a":3,"b":2}}`},
		{name: "each", expr: "$each($states.input.customer, function($v, $k){ $k & '=' & $v })", want: `["name=Ada","tier=gold"]`},
		{name: "boolean functions", expr: "[$boolean(''), $boolean('a'), $not(true), $exists($states.input.nope), $exists($states.input.n)]", want: `[false,true,false,false,true]`},
		{name: "type", expr: "[$type(1), $type('a'), $type(null), $type([]), $type({}), $type(true)]", want: `["number","string","null","array","object","boolean"]`},
		{name: "wildcard", expr: "$states.input.customer.*", want: `["Ada","gold"]`},
		{name: "descendants", expr: "$states.input.items.**.sku", want: `["a","b","c"]`},
		{name: "keep array", expr: "$states.input.items[sku='a'][].sku", want: `["a"]`},
		{name: "context", expr: "$states.context.Execution.Name", want: `"ex-1"`},
		{name: "sfn partition", expr: "$partition([1,2,3,4,5], 2)", want: `[[1,2],[3,4],[5]]`},
		{name: "sfn range", expr: "$range(0, 10, 5)", want: `[0,5,10]`},
		{name: "sfn hash", expr: "$hash('hello', 'SHA-256')", want: `"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"`},
		{name: "sfn uuid", expr: "$uuid()", want: `"8e0ba0e4-9fb8-4b73-8e2b-0c9d3c3b1d7a"`},
		{name: "sfn parse", expr: `$parse('{"a":[1,2.50]}').a`, want: `[1,2.50]`},
		{name: "random", expr: "$random()", want: `0.25`},
		{name: "seeded random like AWS", expr: "$random(42)", want: `0.7275636800328681`},
		{name: "base64", expr: "$base64decode($base64encode('hi ✓'))", want: `"hi ✓"`},
		{name: "now", expr: "$now()", want: `"2026-11-18T11:06:40.123Z"`},
		{name: "time conversions", expr: "[$toMillis('2026-11-22T06:00:00.500Z'), $fromMillis(1795000000123), $toMillis($fromMillis(86400000))]", want: `[1795327200500,"2026-11-18T11:06:40.123Z",86400000]`},
		{name: "context argument", expr: "$states.input.items.sku.$uppercase()", want: `["A","B","C"]`},
		{name: "object constructor as step", expr: "$states.input.items.{'s': sku, 'total': qty * price}", want: `[{"s":"a","total":21},{"s":"b","total":4},{"s":"c","total":6.25}]`},
		{name: "regex contains", expr: "[$contains('Hello World', /wor/i), $contains('abc', /^b/)]", want: `[true,false]`},
		{name: "regex split", expr: "$split('a1b22c', /[0-9]+/)", want: `["a","b","c"]`},
		{name: "regex replace", expr: "$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')", want: `"Smith, John"`},
		{name: "regex replace with function", expr: "$replace('a1b2', /[0-9]/, function($m){ $string($number($m.match) * 10) })", want: `"a10b20"`},
		{name: "regex match", expr: "$match('ab12cd34', /([a-z]+)([0-9]+)/)", want: `[{"match":"ab12","index":0,"groups":["ab","12"]},{"match":"cd34","index":4,"groups":["cd","34"]}]`},
		{name: "division is not a regex", expr: "$n / 2 / 1", want: `1`},
		{name: "format number", expr: "[$formatNumber(12345.6, '#,###.00'), $formatNumber(1234.5678, '#,##0.00'), $formatNumber(0.14, '01%'), $formatNumber(-7, '000'), $formatNumber(3.5, '$#0.0#')]", want: `["12,345.60","1,234.57","14%","-007","$3.5"]`},
		{name: "function call as first step without context", expr: `$parse('{"a":{"b":2}}').a.b`, want: `2`},
		{name: "constructor as first step without context", expr: "{'a': 1}.a", want: `1`},
		{name: "context is undefined", expr: "$exists($)", want: `false`},
		{name: "empty array selected", expr: "$states.input.empty", want: `[]`},
		{name: "single-element array selected", expr: "$states.input.one", want: `[1]`},
		{name: "shuffle keeps members", expr: "$sort($shuffle([3,1,2]))", want: `[1,2,3]`},
		{name: "pad", expr: "[$pad('7', 3, '0'), $pad('7', -3, '0'), $pad('abc', 2)]", want: `["700","007","abc"]`},
		{name: "undefined", expr: "$states.input.nope.deeper", want: `undefined`},
		{name: "input numbers kept as written", expr: "$states.input.items[0].price", want: `10.5`},
		{name: "negation", expr: "-$n", want: `-2`},
		{name: "non-finite numbers become strings like AWS", expr: "[1/0, -1/0]", want: `["Infinity","-Infinity"]`},
		{name: "range at AWS memory bound", expr: "$count([1..873782])", want: `873782`},
		{name: "backtick names", expr: "{'a b': 1}.`a b`", want: `1`},
		{name: "comment", expr: "/* c */ 1", want: `1`},
		{name: "object predicate", expr: "$states.input.customer[tier='gold'].name", want: `"Ada"`},
		{name: "string comparison", expr: "'abc' < 'abd'", want: `true`},
		{name: "deep equality", expr: "{'a':[1,2]} = {'a':[1,2.0]}", want: `true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := run(t, tt.expr, order)
			if err != nil {
				t.Fatalf("%s: %v", tt.expr, err)
			}
			if got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.expr, got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		expr string
		code string
	}{
		{name: "add string", expr: "'a' + 1", code: "T2001"},
		{name: "add to string", expr: "1 + 'a'", code: "T2002"},
		{name: "compare mixed", expr: "1 < 'a'", code: "T2009"},
		{name: "call non-function", expr: "$n()", code: "T1006"},
		{name: "unterminated string", expr: "'abc", code: "S0101"},
		{name: "missing bracket", expr: "[1, 2", code: "S0203"},
		{name: "trailing token", expr: "1 2", code: "S0201"},
		{name: "error function", expr: "$error('boom')", code: "D3137"},
		{name: "duplicate keys", expr: "{'a':1,'a':2}", code: "D1009"},
		{name: "bad sort", expr: "$sort([1,'a'])", code: "D3070"},
		{name: "non-string key", expr: "{1:2}", code: "T1003"},
		{name: "empty", expr: "  ", code: "S0207"},
		{name: "join numbers", expr: "$join([1,2])", code: "T0410"},
		{name: "runaway recursion", expr: "($f := function($x){ $f($x) }; $f(1))", code: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.expr, order)
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("%s: got %v, want a *jsonata.Error", tt.expr, err)
			}
			if je.Code != tt.code {
				t.Errorf("%s: got %s, want code %s", tt.expr, je, tt.code)
			}
		})
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"$states.input.items[qty > 1].sku", "($x := 1; $x + 2)", "$map([1,2], function($v){ $v * 2 })", "{'a': [1..3]}", "$sum($states.input.items.(qty * price))", "a.b[0].c ~> $string()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Compile(expr)
		if err != nil {
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("Compile(%q) error %T is not *Error", expr, err)
			}
			return
		}
		_, err = e.Eval(decode(t, order), nil, Options{Random: fixedRandom{}})
		var je *Error
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("Eval(%q) error %T is not *Error", expr, err)
		}
	})
}

func BenchmarkEval(b *testing.B) {
	e, err := Compile(`{"total": $sum($states.input.items.(qty * price)), "skus": $states.input.items[qty > 1].sku, "greeting": "Hello " & $states.input.customer.name}`)
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"states": decode(b, `{"input":`+order+`}`)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(nil, vars, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestResourceLimits(t *testing.T) {
	tests := []struct {
		name string
		expr string
		code string
	}{
		{name: "huge range", expr: "$count([1..100000000])", code: "D2014"},
		{name: "range over AWS memory bound", expr: "[1..900000] ~> $count()", code: ""},
		{name: "nested loops", expr: "$sum($map([1..100000], function($x){ $count([1..100000]) }))", code: "U1002"},
		{name: "string doubling", expr: "($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $f('a', 60))", code: ""},
		{name: "deep expression", expr: "1" + strings.Repeat("+1", 199), code: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.expr, order)
			var je *Error
			if !errors.As(err, &je) || je.Code != tt.code {
				t.Errorf("%s: got %v, want code %s", tt.expr, err, tt.code)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{expr: "1 < 'a'", want: `T2009: The values 1 and "a" either side of operator "<" must be of the same data type`},
		{expr: "{'a': 1} < 1", want: `T2010: The expressions either side of operator "<" must evaluate to numeric or string values`},
		{expr: "$abs('x')", want: `T0410: Argument 1 of function "abs" does not match function signature`},
		{expr: "'a' + 1", want: `T2001: The left side of the "+" operator must evaluate to a number`},
		{expr: `{"a":}`, want: `S0211: The symbol "}" cannot be used as a unary operator`},
		{expr: `a[1,2)`, want: `S0202: Expected "]", got ","`},
		{expr: `"unterminated`, want: `S0101: String literal must be terminated by a matching quote`},
		{expr: `$match("a", /abc`, want: `S0302: No terminating / in regular expression`},
		{expr: "{'a':1,'a':2}", want: `D1009: Multiple key definitions evaluate to same key: "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := run(t, tt.expr, order)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}
