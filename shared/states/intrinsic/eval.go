package intrinsic

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/shipwave/shipwave/shared/states/digest"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// invalid is the failure Step Functions raises for bad arguments.
func invalid(c *Call) error {
	return failure.New(failure.Runtime, "Invalid arguments in "+c.name)
}

func (c *Call) eval(env Env) (any, error) {
	var buf [4]any
	var args []any
	if len(c.args) > len(buf) {
		args = make([]any, len(c.args))
	} else {
		args = buf[:len(c.args)]
	}
	for i := range c.args {
		a := &c.args[i]
		switch a.kind {
		case argLiteral, argString:
			args[i] = a.value
		case argPath:
			v, err := env.Lookup(a.path)
			if err != nil {
				// As in templates, an indefinite path that cannot be
				// followed selects nothing.
				if !a.path.IsDefinite() && jsonpath.IsNoMatch(err) {
					args[i] = []any{}
					continue
				}
				return nil, &PathError{Path: a.path.String(), Err: err}
			}
			args[i] = v
		case argCall:
			v, err := a.call.eval(env)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
	}
	switch c.id {
	case fnFormatID:
		return fnFormat(c, args, env)
	case fnStringToJSONID:
		return fnStringToJSON(c, args, env)
	case fnJSONToStringID:
		return fnJSONToString(c, args, env)
	case fnArrayID:
		return fnArray(c, args, env)
	case fnArrayPartitionID:
		return fnArrayPartition(c, args, env)
	case fnArrayContainsID:
		return fnArrayContains(c, args, env)
	case fnArrayRangeID:
		return fnArrayRange(c, args, env)
	case fnArrayGetItemID:
		return fnArrayGetItem(c, args, env)
	case fnArrayLengthID:
		return fnArrayLength(c, args, env)
	case fnArrayUniqueID:
		return fnArrayUnique(c, args, env)
	case fnBase64EncodeID:
		return fnBase64Encode(c, args, env)
	case fnBase64DecodeID:
		return fnBase64Decode(c, args, env)
	case fnHashID:
		return fnHash(c, args, env)
	case fnJSONMergeID:
		return fnJSONMerge(c, args, env)
	case fnMathRandomID:
		return fnMathRandom(c, args, env)
	case fnMathAddID:
		return fnMathAdd(c, args, env)
	case fnStringSplitID:
		return fnStringSplit(c, args, env)
	case fnUUIDID:
		return fnUUID(c, args, env)
	}
	return nil, invalid(c)
}

// integer converts a JSON number argument to an int64 the way Step Functions
// does: fractions are truncated toward zero.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

// rounded converts a JSON number argument to an int64 like Java's
// Math.round: halves round toward positive infinity.
func rounded(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(math.Floor(f + 0.5)), true
}

func inInt32(i int64) bool { return i >= math.MinInt32 && i <= math.MaxInt32 }

// smallInts holds boxed json.Numbers 0..1023 so common results (lengths,
// counters, ranges) need no allocation; it is never modified.
var smallInts = func() [1024]any {
	var t [1024]any
	for i := range t {
		t[i] = json.Number(strconv.Itoa(i))
	}
	return t
}()

// num returns i as a boxed json.Number.
func num(i int64) any {
	if i >= 0 && i < int64(len(smallInts)) {
		return smallInts[i]
	}
	return json.Number(strconv.FormatInt(i, 10))
}

// utf16Len is Java's String.length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func fnFormat(c *Call, args []any, _ Env) (any, error) {
	if len(args) < 1 {
		return nil, invalid(c)
	}
	var tmpl string
	if c.args[0].kind == argString {
		tmpl = c.args[0].raw
	} else {
		s, ok := args[0].(string)
		if !ok {
			return nil, invalid(c)
		}
		tmpl = s
	}
	vals := args[1:]
	var b strings.Builder
	b.Grow(len(tmpl) + 8*len(vals))
	used := 0
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		switch ch {
		case '\\':
			if i+1 < len(tmpl) {
				i++
				b.WriteByte(tmpl[i])
				continue
			}
			b.WriteByte(ch)
		case '{':
			if i+1 >= len(tmpl) || tmpl[i+1] != '}' {
				return nil, invalid(c)
			}
			if used >= len(vals) {
				return nil, invalid(c)
			}
			s, err := formatArg(vals[used])
			if err != nil {
				return nil, invalid(c)
			}
			if a := &c.args[1+used]; a.kind == argCall && a.call.id == fnStringToJSONID {
				// StringToJson yields a JSON node, which Java renders with
				// its quotes (AWS renders this case differently from a
				// plain string argument).
				if str, ok := vals[used].(string); ok {
					s = string(jsonvalue.AppendString(nil, str))
				}
			}
			b.WriteString(s)
			used++
			i++
		case '}':
			return nil, invalid(c)
		default:
			b.WriteByte(ch)
		}
	}
	if used != len(vals) {
		return nil, invalid(c)
	}
	return b.String(), nil
}

// formatArg renders one States.Format argument: strings as they are,
// numbers as written, booleans and null as JSON, and objects and arrays as
// the Java collections Step Functions converts them to print themselves
// ({Arg1=1, Arg2=[]}, [1, x, true]).
func formatArg(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case []any, *jsonvalue.Object:
		return javaValueString(x), nil
	}
	b, err := jsonvalue.Marshal(v)
	return string(b), err
}

func fnStringToJSON(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 1 {
		return nil, invalid(c)
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, invalid(c)
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil // observed: AWS returns null for an empty string
	}
	v, err := jsonvalue.Decode([]byte(s))
	if err != nil {
		return nil, invalid(c)
	}
	return v, nil
}

func fnJSONToString(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 1 {
		return nil, invalid(c)
	}
	b, err := jsonvalue.Marshal(args[0])
	if err != nil {
		return nil, invalid(c)
	}
	return string(b), nil
}

func fnArray(_ *Call, args []any, _ Env) (any, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func fnArrayPartition(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 2 {
		return nil, invalid(c)
	}
	arr, ok := args[0].([]any)
	size, ok2 := integer(args[1])
	if !ok || !ok2 || size <= 0 {
		return nil, invalid(c)
	}
	out := make([]any, 0, (int64(len(arr))+size-1)/size)
	for i := 0; i < len(arr); i += int(min(size, int64(len(arr)))) {
		end := min(int64(i)+size, int64(len(arr)))
		out = append(out, append([]any(nil), arr[i:end]...))
	}
	return out, nil
}

func fnArrayContains(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 2 {
		return nil, invalid(c)
	}
	arr, ok := args[0].([]any)
	if !ok {
		return nil, invalid(c)
	}
	// Observed on AWS: an element matches when its JSON text equals the
	// target's, or when it is a string equal to the target's JSON text
	// ("true" matches true; 1 does not match "1"; key order matters).
	want := javaString(args[1])
	for _, v := range arr {
		if javaString(v) == want {
			return true, nil
		}
		if s, ok := v.(string); ok && s == want {
			return true, nil
		}
	}
	return false, nil
}

// maxRange is the most elements States.ArrayRange may produce.
const maxRange = 1000

func fnArrayRange(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 3 {
		return nil, invalid(c)
	}
	start, ok1 := integer(args[0])
	end, ok2 := integer(args[1])
	step, ok3 := integer(args[2])
	if !ok1 || !ok2 || !ok3 || step == 0 {
		return nil, invalid(c)
	}
	if (step > 0 && start > end) || (step < 0 && start < end) {
		return []any{}, nil
	}
	count := (end-start)/step + 1
	if count > maxRange {
		return nil, invalid(c)
	}
	out := make([]any, 0, count)
	for i := int64(0); i < count; i++ {
		out = append(out, num(start+i*step))
	}
	return out, nil
}

func fnArrayGetItem(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 2 {
		return nil, invalid(c)
	}
	arr, ok := args[0].([]any)
	idx, ok2 := integer(args[1])
	if !ok || !ok2 {
		return nil, invalid(c)
	}
	if len(arr) == 0 {
		return nil, nil // observed: AWS returns null for any index into []
	}
	if idx < 0 || idx >= int64(len(arr)) {
		return nil, invalid(c)
	}
	return arr[idx], nil
}

func fnArrayLength(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 1 {
		return nil, invalid(c)
	}
	arr, ok := args[0].([]any)
	if !ok {
		return nil, invalid(c)
	}
	return num(int64(len(arr))), nil
}

func fnArrayUnique(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 1 {
		return nil, invalid(c)
	}
	arr, ok := args[0].([]any)
	if !ok {
		return nil, invalid(c)
	}
	// Observed on AWS: the result comes out in java.util.HashSet order
	// (e.g. [true,false] gives [false,true]).
	return hashSetOrder(arr), nil
}

// maxBase64 is the longest input States.Base64Encode/Decode and States.Hash accept.
const maxBase64 = 10000

func fnBase64Encode(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 1 {
		return nil, invalid(c)
	}
	s, ok := args[0].(string)
	if !ok || utf16Len(s) > maxBase64 {
		return nil, invalid(c)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 1 {
		return nil, invalid(c)
	}
	s, ok := args[0].(string)
	if !ok || len(s) > maxBase64 {
		return nil, invalid(c)
	}
	return string(lenientBase64(s)), nil
}

// lenientBase64 decodes like Apache commons-codec: characters outside the
// alphabet (standard or URL-safe) are skipped, the first '=' ends the data,
// and a trailing partial group yields the bytes it completes.
func lenientBase64(s string) []byte {
	out := make([]byte, 0, len(s)*3/4)
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		var v byte
		switch {
		case ch >= 'A' && ch <= 'Z':
			v = ch - 'A'
		case ch >= 'a' && ch <= 'z':
			v = ch - 'a' + 26
		case ch >= '0' && ch <= '9':
			v = ch - '0' + 52
		case ch == '+' || ch == '-':
			v = 62
		case ch == '/' || ch == '_':
			v = 63
		case ch == '=':
			i = len(s)
			continue
		default:
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out
}

func fnHash(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 2 {
		return nil, invalid(c)
	}
	algo, ok := args[1].(string)
	if !ok {
		return nil, invalid(c)
	}
	data, err := formatArg(args[0])
	if err != nil || utf16Len(data) > maxBase64 {
		return nil, invalid(c)
	}
	sum, ok := digest.Hex(algo, []byte(data))
	if !ok {
		return nil, invalid(c)
	}
	return sum, nil
}

func fnJSONMerge(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 3 {
		return nil, invalid(c)
	}
	a, ok1 := args[0].(*jsonvalue.Object)
	b, ok2 := args[1].(*jsonvalue.Object)
	// Observed on AWS: a non-boolean flag ("false") is accepted; only a
	// true flag (Boolean.parseBoolean of its text) asks for the deep merge,
	// which Step Functions does not support.
	if !ok1 || !ok2 || strings.EqualFold(javaText(args[2]), "true") {
		return nil, invalid(c)
	}
	out := a.Copy(b.Len())
	for i := 0; i < b.Len(); i++ {
		k, v := b.At(i)
		out.Set(k, v)
	}
	return out, nil
}

func fnMathRandom(c *Call, args []any, env Env) (any, error) {
	if len(args) != 2 && len(args) != 3 {
		return nil, invalid(c)
	}
	start, ok1 := integer(args[0])
	end, ok2 := integer(args[1])
	if !ok1 || !ok2 || !inInt32(start) || !inInt32(end) || start >= end {
		return nil, invalid(c)
	}
	span := end - start
	if len(args) == 3 {
		seed, ok := integer(args[2])
		if !ok {
			return nil, invalid(c)
		}
		return num(start + javaRandomIntn(seed, span)), nil
	}
	if r, ok := env.(Random); ok {
		return num(start + r.Int64N(span)), nil
	}
	return num(start + rand.Int64N(span)), nil
}

// javaRandomIntn is new java.util.Random(seed).nextInt(bound), which is how a
// seeded States.MathRandom is most plausibly computed.
func javaRandomIntn(seed, bound int64) int64 {
	const mult, add, mask = 0x5DEECE66D, 0xB, (1 << 48) - 1
	s := (seed ^ mult) & mask
	next := func() int32 {
		s = (s*mult + add) & mask
		return int32(s >> (48 - 31))
	}
	if bound > math.MaxInt32 { // spans wider than int32 fall back to nextLong-style reduction
		r := int64(next())<<32 + int64(next())
		if r < 0 {
			r = -r
		}
		return r % bound
	}
	b := int32(bound)
	r := next()
	m := b - 1
	if b&m == 0 {
		return int64(int32((int64(b) * int64(r)) >> 31))
	}
	for u := r; ; u = next() {
		r = u % b
		if u-r+m >= 0 {
			break
		}
	}
	return int64(r)
}

func fnMathAdd(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 2 {
		return nil, invalid(c)
	}
	// Observed on AWS: operands are rounded (Math.round), the sum must fit
	// in an int.
	a, ok1 := rounded(args[0])
	b, ok2 := rounded(args[1])
	if !ok1 || !ok2 || !inInt32(a) || !inInt32(b) || !inInt32(a+b) {
		return nil, invalid(c)
	}
	return num(a + b), nil
}

func fnStringSplit(c *Call, args []any, _ Env) (any, error) {
	if len(args) != 2 {
		return nil, invalid(c)
	}
	s, ok1 := args[0].(string)
	delims, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, invalid(c)
	}
	// Like java.util.StringTokenizer: any delimiter character separates
	// tokens, and empty tokens are dropped.
	fields := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = f
	}
	return out, nil
}

func fnUUID(c *Call, args []any, env Env) (any, error) {
	if len(args) != 0 {
		return nil, invalid(c)
	}
	if r, ok := env.(Random); ok {
		return r.UUID(), nil
	}
	return uuid.NewString(), nil
}
