package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode(%q): %v", s, err)
	}
	return v
}

func TestDecodeMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "key order kept", in: `{"b":1,"a":2,"c":{"z":1,"y":2}}`, want: `{"b":1,"a":2,"c":{"z":1,"y":2}}`},
		{name: "whitespace removed", in: " {\n \"a\" : [ 1 , 2 ] }\t", want: `{"a":[1,2]}`},
		{name: "numbers as written", in: `[1.0,1e3,-0,12345678901234567890123,0.1000]`, want: `[1.0,1e3,-0,12345678901234567890123,0.1000]`},
		{name: "no HTML escaping", in: `"<a href='x'>&amp;</a>"`, want: `"<a href='x'>&amp;</a>"`},
		{name: "slash not escaped", in: `"a\/b"`, want: `"a/b"`},
		{name: "control characters", in: `"\u0001\b\f\n\r\t\u001f"`, want: `"\u0001\b\f\n\r\t\u001F"`},
		{name: "quotes and backslashes", in: `"a\"b\\c"`, want: `"a\"b\\c"`},
		{name: "unicode escapes decoded", in: `"\u00e9\ud83d\ude80"`, want: `"é🚀"`},
		{name: "line separators kept raw", in: "\"\u2028\u2029\"", want: "\"\u2028\u2029\""},
		{name: "lone surrogate becomes replacement", in: `"\ud800x"`, want: "\"\uFFFDx\""},
		{name: "duplicate key keeps first position last value", in: `{"a":1,"b":2,"a":3}`, want: `{"a":3,"b":2}`},
		{name: "literals", in: `[true,false,null]`, want: `[true,false,null]`},
		{name: "objects inside arrays", in: `[1,{"a":2,"b":[3,{"c":4}]},[5,{"d":6}],7]`, want: `[1,{"a":2,"b":[3,{"c":4}]},[5,{"d":6}],7]`},
		{name: "many keys", in: `{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k1":0}`, want: `{"k1":0,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17}`},
		{name: "empty containers", in: `{"a":{},"b":[]}`, want: `{"a":{},"b":[]}`},
		{name: "scalar document", in: `"x"`, want: `"x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustDecode(t, tt.in)
			got, err := Marshal(v)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if Size(v) != len(tt.want) {
				t.Errorf("Size got %d, want %d", Size(v), len(tt.want))
			}
			if Exceeds(v, len(tt.want)) || !Exceeds(v, len(tt.want)-1) {
				t.Errorf("Exceeds disagrees with size %d", len(tt.want))
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: ``, want: "unexpected end of input"},
		{name: "trailing data", in: `{} x`, want: "after top-level value"},
		{name: "trailing comma", in: `[1,]`, want: "unexpected character"},
		{name: "bad literal", in: `tru`, want: "invalid literal"},
		{name: "leading zero then digit", in: `01`, want: "after top-level value"},
		{name: "bare fraction", in: `1.`, want: "digits expected after '.'"},
		{name: "raw control character", in: "\"a\nb\"", want: "control character"},
		{name: "bad escape", in: `"\x"`, want: "invalid escape"},
		{name: "unterminated string", in: `"abc`, want: "unterminated string"},
		{name: "non-string key", in: `{1:2}`, want: "expected string for object key"},
		{name: "missing colon", in: `{"a" 1}`, want: "expected ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got error %v, want *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestObject(t *testing.T) {
	o := &Object{}
	for i := 0; i < 40; i++ {
		o.Set(string(rune('a'+i%26))+string(rune('0'+i/26)), json.Number(string(rune('0'+i%10))))
	}
	if o.Len() != 40 {
		t.Fatalf("Len got %d, want 40", o.Len())
	}
	o.Set("a0", "replaced")
	if v, _ := o.Get("a0"); v != "replaced" || o.Keys()[0] != "a0" {
		t.Errorf("Set on existing key got %v at %q, want replaced at a0", v, o.Keys()[0])
	}
	o.Delete("b0")
	if o.Has("b0") || o.Len() != 39 || o.Keys()[1] != "c0" {
		t.Errorf("Delete got Has=%v Len=%d second key %q, want false 39 c0", o.Has("b0"), o.Len(), o.Keys()[1])
	}
	if v, ok := o.Get("n1"); !ok || v != json.Number("9") {
		t.Errorf("Get(n1) after delete got %v %v, want 9 true", v, ok)
	}
	c := o.Copy(1)
	c.Set("new", true)
	if o.Has("new") {
		t.Error("Copy shares members with the original")
	}
	var nilObj *Object
	if nilObj.Len() != 0 || nilObj.Keys() != nil || nilObj.Has("x") {
		t.Error("nil *Object is not empty")
	}
}

func TestObjectJSON(t *testing.T) {
	var o Object
	if err := json.Unmarshal([]byte(`{"z":1,"a":[{"y":2,"b":3}]}`), &o); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(&o)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"z":1,"a":[{"y":2,"b":3}]}` {
		t.Errorf("got %s, want key order kept", got)
	}
	if err := json.Unmarshal([]byte(`[1]`), &o); err == nil {
		t.Error("Unmarshal of an array into Object got nil error")
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "numbers by value", a: `1`, b: `1.0`, want: true},
		{name: "exponent", a: `100`, b: `1e2`, want: true},
		{name: "different numbers", a: `1`, b: `2`, want: false},
		{name: "object order ignored", a: `{"a":1,"b":2}`, b: `{"b":2,"a":1}`, want: true},
		{name: "object extra key", a: `{"a":1}`, b: `{"a":1,"b":2}`, want: false},
		{name: "array order matters", a: `[1,2]`, b: `[2,1]`, want: false},
		{name: "types differ", a: `"1"`, b: `1`, want: false},
		{name: "null", a: `null`, b: `null`, want: true},
		{name: "null vs false", a: `null`, b: `false`, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(mustDecode(t, tt.a), mustDecode(t, tt.b)); got != tt.want {
				t.Errorf("Equal(%s, %s) got %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestEqualBy(t *testing.T) {
	// A scalar rule that tells numbers by their text, as Java's equals
	// tells Integer from Double.
	byText := func(a, b any) (bool, bool) {
		x, ok := a.(json.Number)
		if !ok {
			return false, false
		}
		y, ok := b.(json.Number)
		return ok && x == y, true
	}
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "rule decides numbers", a: `1`, b: `1.0`, want: false},
		{name: "rule applies inside arrays", a: `[1,{"a":1.0}]`, b: `[1,{"a":1}]`, want: false},
		{name: "containers still walked", a: `{"a":[1,"x"],"b":null}`, b: `{"b":null,"a":[1,"x"]}`, want: true},
		{name: "unhandled pairs use Equal", a: `["x",true]`, b: `["x",true]`, want: true},
		{name: "container against scalar", a: `[1]`, b: `1`, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EqualBy(mustDecode(t, tt.a), mustDecode(t, tt.b), byText); got != tt.want {
				t.Errorf("EqualBy(%s, %s) got %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestCloneIsDeep(t *testing.T) {
	v := mustDecode(t, `{"a":[{"b":1}]}`)
	c := Clone(v).(*Object)
	inner, _ := c.Get("a")
	inner.([]any)[0].(*Object).Set("b", "changed")
	got, _ := Marshal(v)
	if string(got) != `{"a":[{"b":1}]}` {
		t.Errorf("original changed through clone: %s", got)
	}
}

func TestAppendOtherTypes(t *testing.T) {
	got, err := Marshal([]any{map[string]any{"b": 1, "a": int64(2)}, 1.5, 3.0, []string{"x"}, json.RawMessage(`{"k": [1]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"a":2,"b":1},1.5,3,["x"],{"k":[1]}]`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := Marshal(struct{}{}); err == nil {
		t.Error("Marshal(struct{}) got nil error")
	}
}

func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"a":[1,"x",null,true,{"b":-1.5e3}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if (err == nil) != json.Valid(b) {
			t.Fatalf("Decode error %v disagrees with json.Valid=%v for %q", err, json.Valid(b), b)
		}
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var std any
		if err := dec.Decode(&std); err != nil {
			t.Fatalf("encoding/json rejects %q: %v", b, err)
		}
		if !reflect.DeepEqual(toStd(v), std) {
			t.Fatalf("Decode(%q) = %#v, encoding/json gives %#v", b, toStd(v), std)
		}
		out, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal of decoded value failed: %v", err)
		}
		v2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode of %s failed: %v", out, err)
		}
		if !Equal(v, v2) {
			t.Fatalf("round trip changed the value: %s", out)
		}
		if Size(v) != len(out) {
			t.Fatalf("Size got %d, want %d for %s", Size(v), len(out), out)
		}
		if ub := upperSize(v, math.MaxInt); ub < len(out) {
			t.Fatalf("upperSize got %d, below the size %d of %s", ub, len(out), out)
		}
		if Exceeds(v, len(out)) || (len(out) > 0 && !Exceeds(v, len(out)-1)) {
			t.Fatalf("Exceeds disagrees with size %d of %s", len(out), out)
		}
		if !json.Valid(out) {
			t.Fatalf("Marshal produced invalid JSON: %s", out)
		}
	})
}

// toStd converts a decoded value to encoding/json's shapes.
func toStd(v any) any {
	switch x := v.(type) {
	case *Object:
		m := make(map[string]any, x.Len())
		for i := 0; i < x.Len(); i++ {
			k, e := x.At(i)
			m[k] = toStd(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toStd(e)
		}
		return out
	}
	return v
}

func BenchmarkDecode(b *testing.B) {
	in := []byte(`{"id":"r-1","stage":{"name":"prod","waves":[{"targets":["a","b"],"bake":300},{"targets":["c"],"bake":600}]},"ok":true,"n":null}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSize(b *testing.B) {
	v, _ := Decode([]byte(`{"id":"r-1","stage":{"name":"prod","waves":[{"targets":["a","b"],"bake":300},{"targets":["c"],"bake":600}]},"ok":true,"n":null}`))
	b.ReportAllocs()
	for b.Loop() {
		if Size(v) == 0 {
			b.Fatal("zero size")
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	v, _ := Decode([]byte(`{"id":"r-1","stage":{"name":"prod","waves":[{"targets":["a","b"],"bake":300},{"targets":["c"],"bake":600}]},"ok":true,"n":null}`))
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		var err error
		if buf, err = Append(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFromMembersSharesKeysSafely(t *testing.T) {
	keys := []string{"a", "b", "c"}
	o1 := FromMembers(keys, []any{json.Number("1"), json.Number("2"), json.Number("3")})
	o2 := FromMembers(keys, []any{json.Number("4"), json.Number("5"), json.Number("6")})
	o1.Delete("a")
	o1.Set("d", true)
	o2.Set("e", false)
	if got := strings.Join(keys, ","); got != "a,b,c" {
		t.Fatalf("shared keys modified: %s", got)
	}
	b1, _ := Marshal(o1)
	b2, _ := Marshal(o2)
	if string(b1) != `{"b":2,"c":3,"d":true}` || string(b2) != `{"a":4,"b":5,"c":6,"e":false}` {
		t.Errorf("got %s and %s", b1, b2)
	}
}

func TestWith(t *testing.T) {
	base := mustDecode(t, `{"a":1,"b":2}`).(*Object)
	replaced := base.With("a", "x")
	added := base.With("c", true)
	added2 := replaced.With("d", false) // appends to a copy sharing base's keys
	replaced.Delete("b")
	for _, tt := range []struct {
		name string
		got  *Object
		want string
	}{
		{name: "base unchanged", got: base, want: `{"a":1,"b":2}`},
		{name: "replaced", got: replaced, want: `{"a":"x"}`},
		{name: "added", got: added, want: `{"a":1,"b":2,"c":true}`},
		{name: "added to replaced copy", got: added2, want: `{"a":"x","b":2,"d":false}`},
	} {
		if b, _ := Marshal(tt.got); string(b) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, b, tt.want)
		}
	}
	big := NewObject(0)
	for i := 0; i < 20; i++ {
		big.Set(string(rune('a'+i)), json.Number("1"))
	}
	w := big.With("zz", json.Number("2")).With("a", json.Number("3"))
	if v, _ := w.Get("zz"); v != json.Number("2") {
		t.Errorf("Get(zz) on a large copy got %v, want 2", v)
	}
	if v, _ := big.Get("a"); v != json.Number("1") {
		t.Errorf("original changed: a = %v", v)
	}
}
