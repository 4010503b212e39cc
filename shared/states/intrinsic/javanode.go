package intrinsic

import (
	"encoding/json"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// Step Functions evaluates intrinsics in Java. The helpers here reproduce
// what is observable of that: Java equality and hashCode of the plain Java
// values Jackson converts JSON to (Integer, Long, Double, String, Boolean,
// null, ArrayList, LinkedHashMap) — which fix the order of a HashSet, and so
// of ArrayUnique's result (observed: [null,null,1] gives [null,1],
// [true,false] gives [false,true], [[1,2],[2,1]] gives [[2,1],[1,2]]) — and
// JsonNode.toString.

type numClass uint8

const (
	numInt numClass = iota
	numLong
	numBigInt
	numDouble
)

// classify says which Jackson node a JSON number becomes.
func classify(n json.Number) (numClass, int64, float64) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				return numInt, i, 0
			}
			return numLong, i, 0
		}
		return numBigInt, 0, 0
	}
	f, _ := strconv.ParseFloat(s, 64)
	return numDouble, 0, f
}

// javaEqual is Objects.equals of the Java values a and b convert to: JSON
// equality, except that numbers are equal only as the same Java class
// (Integer, Long, BigInteger, Double) with the same value.
func javaEqual(a, b any) bool { return jsonvalue.EqualBy(a, b, javaNumbers) }

func javaNumbers(a, b any) (bool, bool) {
	x, ok := a.(json.Number)
	if !ok {
		return false, false
	}
	y, ok := b.(json.Number)
	if !ok {
		return false, true
	}
	cx, ix, fx := classify(x)
	cy, iy, fy := classify(y)
	if cx != cy {
		return false, true
	}
	switch cx {
	case numInt, numLong:
		return ix == iy, true
	case numDouble:
		return fx == fy, true
	}
	bx, _ := new(big.Int).SetString(string(x), 10)
	by, _ := new(big.Int).SetString(string(y), 10)
	return bx != nil && by != nil && bx.Cmp(by) == 0, true
}

// javaStringHash is String.hashCode.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// javaHash is Objects.hashCode of the Java value v converts to.
func javaHash(v any) int32 {
	switch x := v.(type) {
	case nil:
		return 0
	case bool:
		if x {
			return 1231
		}
		return 1237
	case string:
		return javaStringHash(x)
	case json.Number:
		c, i, f := classify(x)
		switch c {
		case numInt:
			return int32(i)
		case numLong:
			return int32(i) ^ int32(i>>32)
		case numDouble:
			bits := int64(math.Float64bits(f))
			return int32(bits) ^ int32(bits>>32)
		}
		return javaStringHash(string(x))
	case []any:
		var h int32 = 1
		for _, e := range x {
			h = 31*h + javaHash(e)
		}
		return h
	case *jsonvalue.Object:
		var h int32
		for i := 0; i < x.Len(); i++ {
			k, e := x.At(i)
			h += javaStringHash(k) ^ javaHash(e)
		}
		return h
	}
	return 0
}

// hashSetOrder returns the distinct values of arr (JsonNode equality, first
// occurrence kept) in the iteration order of a java.util.HashSet they were
// added to one by one.
func hashSetOrder(arr []any) []any {
	type entry struct {
		v    any
		hash uint32
		seq  int
	}
	var uniq []entry
outer:
	for _, v := range arr {
		for _, e := range uniq {
			if javaEqual(e.v, v) {
				continue outer
			}
		}
		h := uint32(javaHash(v))
		uniq = append(uniq, entry{v: v, hash: h ^ (h >> 16), seq: len(uniq)})
	}
	capacity := uint32(16)
	for float64(len(uniq)) > float64(capacity)*0.75 {
		capacity *= 2
	}
	sort.SliceStable(uniq, func(i, j int) bool {
		bi, bj := uniq[i].hash&(capacity-1), uniq[j].hash&(capacity-1)
		if bi != bj {
			return bi < bj
		}
		return uniq[i].seq < uniq[j].seq
	})
	out := make([]any, len(uniq))
	for i, e := range uniq {
		out[i] = e.v
	}
	return out
}

// javaDouble is Double.toString.
func javaDouble(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // like 1.5e+21
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// javaString is JsonNode.toString: compact JSON with Java's number
// rendering.
func javaString(v any) string {
	var b strings.Builder
	writeJava(&b, v)
	return b.String()
}

func writeJava(b *strings.Builder, v any) {
	switch x := v.(type) {
	case json.Number:
		c, i, f := classify(x)
		switch c {
		case numInt, numLong:
			b.WriteString(strconv.FormatInt(i, 10))
		case numDouble:
			b.WriteString(javaDouble(f))
		default:
			b.WriteString(string(x))
		}
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJava(b, e)
		}
		b.WriteByte(']')
	case *jsonvalue.Object:
		b.WriteByte('{')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			k, e := x.At(i)
			b.Write(jsonvalue.AppendString(nil, k))
			b.WriteByte(':')
			writeJava(b, e)
		}
		b.WriteByte('}')
	default:
		out, _ := jsonvalue.Append(nil, v)
		b.Write(out)
	}
}

// javaText is JsonNode.asText: a string's value, "" for containers, the
// toString of other scalars.
func javaText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any, *jsonvalue.Object:
		return ""
	}
	return javaString(v)
}

// javaValueString is String.valueOf of the plain Java value v converts to:
// AbstractMap.toString for objects ("{a=1, b=[x, true]}"), List.toString
// for arrays, strings without quotes, Double.toString for decimals.
func javaValueString(v any) string {
	var b strings.Builder
	writeJavaValue(&b, v)
	return b.String()
}

func writeJavaValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		writeJava(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJavaValue(b, e)
		}
		b.WriteByte(']')
	case *jsonvalue.Object:
		b.WriteByte('{')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			k, e := x.At(i)
			b.WriteString(k)
			b.WriteByte('=')
			writeJavaValue(b, e)
		}
		b.WriteByte('}')
	default:
		writeJava(b, v)
	}
}
