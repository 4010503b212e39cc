package jsonata

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/google/uuid"

	"github.com/shipwave/shipwave/shared/states/digest"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

type native = func(ev *evaluator, args []any, input any) (any, error)

// library holds the built-in functions; it is never modified.
var library = newLibrary()

func newLibrary() map[string]any {
	fns := map[string]native{
		"string": fnString, "length": fnLength, "substring": fnSubstring,
		"substringBefore": fnSubstringBefore, "substringAfter": fnSubstringAfter,
		"uppercase": strFn("uppercase", strings.ToUpper), "lowercase": strFn("lowercase", strings.ToLower), "trim": strFn("trim", trimJSONata),
		"contains": fnContains, "split": fnSplit, "join": fnJoin, "replace": fnReplace,
		"number": fnNumber, "abs": numFn("abs", math.Abs), "floor": numFn("floor", math.Floor), "ceil": numFn("ceil", math.Ceil),
		"round": fnRound, "power": fnPower, "sqrt": numFn("sqrt", math.Sqrt), "random": fnRandom,
		"sum": fnSum, "max": aggFn("max", math.Max), "min": aggFn("min", math.Min), "average": fnAverage, "count": fnCount,
		"append": fnAppend, "reverse": fnReverse, "shuffle": fnShuffle, "sort": fnSort, "distinct": fnDistinct, "zip": fnZip,
		"keys": fnKeys, "lookup": fnLookup, "spread": fnSpread, "merge": fnMerge, "each": fnEach, "sift": fnSift,
		"boolean": fnBoolean, "not": fnNot, "exists": fnExists, "type": fnType,
		"map": fnMap, "filter": fnFilter, "reduce": fnReduce, "single": fnSingle,
		"now": fnNow, "millis": fnMillis, "fromMillis": fnFromMillis, "toMillis": fnToMillis, "pad": fnPad,
		"base64encode": fnBase64Encode, "base64decode": fnBase64Decode,
		"encodeUrlComponent": urlFn("encodeUrlComponent", url.QueryEscape, true), "encodeUrl": urlFn("encodeUrl", url.PathEscape, false),
		"decodeUrlComponent": fnDecodeURL, "decodeUrl": fnDecodeURL,
		"error": fnError, "assert": fnAssert, "match": fnMatch, "formatNumber": fnFormatNumber,
		// Step Functions additions.
		"partition": fnPartition, "range": fnRange, "hash": fnHash, "uuid": fnUUID, "parse": fnParse,
	}
	lib := make(map[string]any, len(fns))
	for name, f := range fns {
		lib[name] = &function{name: name, native: f}
	}
	return lib
}

func builtins() map[string]any { return library }

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return Undefined
}

func typeErr(fn string, i int) error {
	return errorf("T0410", 0, "Argument %d of function \"%s\" does not match function signature", i+1, fn)
}

func strArg(args []any, i int, fn string) (string, bool, error) {
	v := arg(args, i)
	if IsUndefined(v) {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, typeErr(fn, i)
	}
	return s, true, nil
}

func numArg(args []any, i int, fn string) (float64, bool, error) {
	v := arg(args, i)
	if IsUndefined(v) {
		return 0, false, nil
	}
	f, ok := toNumber(v)
	if !ok {
		return 0, false, typeErr(fn, i)
	}
	return f, true, nil
}

// arrArg returns the argument as an array, wrapping a single value.
func arrArg(args []any, i int) ([]any, bool) {
	v := arg(args, i)
	if IsUndefined(v) {
		return nil, false
	}
	if a, ok := v.([]any); ok {
		return a, true
	}
	return []any{v}, true
}

func strFn(name string, f func(string) string) native {
	return func(_ *evaluator, args []any, _ any) (any, error) {
		s, ok, err := strArg(args, 0, name)
		if !ok || err != nil {
			return Undefined, err
		}
		return f(s), nil
	}
}

func trimJSONata(s string) string { return strings.Join(strings.Fields(s), " ") }

func numFn(name string, f func(float64) float64) native {
	return func(_ *evaluator, args []any, _ any) (any, error) {
		n, ok, err := numArg(args, 0, name)
		if !ok || err != nil {
			return Undefined, err
		}
		return f(n), nil
	}
}

func fnString(_ *evaluator, args []any, input any) (any, error) {
	v := arg(args, 0)
	if len(args) == 0 {
		v = input
	}
	if IsUndefined(v) {
		return Undefined, nil
	}
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil, errorf("D3001", 0, "Attempting to invoke string function on Infinity or NaN")
	}
	return stringOf(v), nil
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func fnLength(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "length")
	if !ok || err != nil {
		return Undefined, err
	}
	return float64(utf16Len(s)), nil
}

func fnSubstring(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "substring")
	if !ok || err != nil {
		return Undefined, err
	}
	start, _, err := numArg(args, 1, "substring")
	if err != nil {
		return nil, err
	}
	r := utf16.Encode([]rune(s))
	st := int(start)
	if st < 0 {
		st = max(0, len(r)+st)
	}
	st = min(st, len(r))
	end := len(r)
	if l, ok, err := numArg(args, 2, "substring"); err != nil {
		return nil, err
	} else if ok {
		end = min(len(r), st+max(0, int(l)))
	}
	return string(utf16.Decode(r[st:end])), nil
}

func fnSubstringBefore(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "substringBefore")
	if !ok || err != nil {
		return Undefined, err
	}
	sep, _, err := strArg(args, 1, "substringBefore")
	if err != nil {
		return nil, err
	}
	if i := strings.Index(s, sep); i >= 0 {
		return s[:i], nil
	}
	return s, nil
}

func fnSubstringAfter(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "substringAfter")
	if !ok || err != nil {
		return Undefined, err
	}
	sep, _, err := strArg(args, 1, "substringAfter")
	if err != nil {
		return nil, err
	}
	if i := strings.Index(s, sep); i >= 0 {
		return s[i+len(sep):], nil
	}
	return s, nil
}

func fnContains(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "contains")
	if !ok || err != nil {
		return Undefined, err
	}
	if r, isRe := arg(args, 1).(*regex); isRe {
		return r.re.MatchString(s), nil
	}
	sub, _, err := strArg(args, 1, "contains")
	if err != nil {
		return nil, err
	}
	return strings.Contains(s, sub), nil
}

func fnSplit(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "split")
	if !ok || err != nil {
		return Undefined, err
	}
	var parts []string
	sep := ""
	if r, isRe := arg(args, 1).(*regex); isRe {
		parts = r.re.Split(s, -1)
		sep = "\x00regex"
	} else if sep, _, err = strArg(args, 1, "split"); err != nil {
		return nil, err
	} else {
		parts = strings.Split(s, sep)
	}
	if sep == "" {
		parts = nil
		for _, r := range s {
			parts = append(parts, string(r))
		}
	}
	if l, ok, err := numArg(args, 2, "split"); err != nil {
		return nil, err
	} else if ok {
		if l < 0 {
			return nil, errorf("D3020", 0, "Third argument of split function must evaluate to a positive number")
		}
		parts = parts[:min(len(parts), int(l))]
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnJoin(_ *evaluator, args []any, _ any) (any, error) {
	a, ok := arrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	sep, _, err := strArg(args, 1, "join")
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return nil, typeErr("join", 0)
		}
		parts[i] = s
	}
	return strings.Join(parts, sep), nil
}

func fnReplace(ev *evaluator, args []any, input any) (any, error) {
	s, ok, err := strArg(args, 0, "replace")
	if !ok || err != nil {
		return Undefined, err
	}
	if r, isRe := arg(args, 1).(*regex); isRe {
		return replaceRegex(ev, s, r, args, input)
	}
	pat, _, err := strArg(args, 1, "replace")
	if err != nil {
		return nil, err
	}
	if pat == "" {
		return nil, errorf("D3010", 0, "Second argument of replace function cannot be an empty string")
	}
	rep, _, err := strArg(args, 2, "replace")
	if err != nil {
		return nil, err
	}
	n := -1
	if l, ok, err := numArg(args, 3, "replace"); err != nil {
		return nil, err
	} else if ok {
		n = int(l)
	}
	return strings.Replace(s, pat, rep, n), nil
}

func fnNumber(_ *evaluator, args []any, _ any) (any, error) {
	v := arg(args, 0)
	switch x := v.(type) {
	case undefinedType:
		return Undefined, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		d, err := jsonvalue.Decode([]byte(strings.TrimSpace(x)))
		if f, ok := toNumber(d); err == nil && ok {
			return f, nil
		}
		return nil, errorf("D3030", 0, "Unable to cast value to a number: %s", stringify(x))
	}
	if f, ok := toNumber(v); ok {
		return f, nil
	}
	return nil, errorf("D3030", 0, "Unable to cast value to a number: %s", stringify(v))
}

// fnRound rounds half to even, as JSONata does.
func fnRound(_ *evaluator, args []any, _ any) (any, error) {
	n, ok, err := numArg(args, 0, "round")
	if !ok || err != nil {
		return Undefined, err
	}
	p, _, err := numArg(args, 1, "round")
	if err != nil {
		return nil, err
	}
	scale := math.Pow(10, p)
	return math.RoundToEven(n*scale) / scale, nil
}

func fnPower(_ *evaluator, args []any, _ any) (any, error) {
	b, ok, err := numArg(args, 0, "power")
	if !ok || err != nil {
		return Undefined, err
	}
	e, _, err := numArg(args, 1, "power")
	if err != nil {
		return nil, err
	}
	r := math.Pow(b, e)
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return nil, errorf("D3061", 0, "The power function has resulted in a value that cannot be represented as a JSON number: base=%s, exponent=%s", formatNumber(b), formatNumber(e))
	}
	return r, nil
}

func fnRandom(ev *evaluator, args []any, _ any) (any, error) {
	if seed, ok, err := numArg(args, 0, "random"); err != nil {
		return nil, err
	} else if ok {
		// Step Functions' seeded $random is java.util.Random(seed).nextDouble()
		// (public record: $random(42) = 0.7275636800328681).
		return javaNextDouble(int64(seed)), nil
	}
	if ev.opts.Random != nil {
		return ev.opts.Random.Float64(), nil
	}
	return rand.Float64(), nil
}

func numbers(args []any, fn string) ([]float64, bool, error) {
	a, ok := arrArg(args, 0)
	if !ok {
		return nil, false, nil
	}
	out := make([]float64, len(a))
	for i, v := range a {
		f, ok := toNumber(v)
		if !ok {
			return nil, false, typeErr(fn, 0)
		}
		out[i] = f
	}
	return out, true, nil
}

func fnSum(_ *evaluator, args []any, _ any) (any, error) {
	ns, ok, err := numbers(args, "sum")
	if !ok || err != nil {
		return Undefined, err
	}
	s := 0.0
	for _, n := range ns {
		s += n
	}
	return s, nil
}

func aggFn(name string, f func(a, b float64) float64) native {
	return func(_ *evaluator, args []any, _ any) (any, error) {
		ns, ok, err := numbers(args, name)
		if !ok || err != nil || len(ns) == 0 {
			return Undefined, err
		}
		r := ns[0]
		for _, n := range ns[1:] {
			r = f(r, n)
		}
		return r, nil
	}
}

func fnAverage(_ *evaluator, args []any, _ any) (any, error) {
	ns, ok, err := numbers(args, "average")
	if !ok || err != nil || len(ns) == 0 {
		return Undefined, err
	}
	s := 0.0
	for _, n := range ns {
		s += n
	}
	return s / float64(len(ns)), nil
}

func fnCount(_ *evaluator, args []any, _ any) (any, error) {
	a, _ := arrArg(args, 0)
	return float64(len(a)), nil
}

func fnAppend(_ *evaluator, args []any, _ any) (any, error) {
	a, aok := arrArg(args, 0)
	b, bok := arrArg(args, 1)
	if !bok {
		return arg(args, 0), nil
	}
	if !aok {
		return arg(args, 1), nil
	}
	out := make([]any, 0, len(a)+len(b))
	return append(append(out, a...), b...), nil
}

func fnReverse(_ *evaluator, args []any, _ any) (any, error) {
	a, ok := arrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	out := make([]any, len(a))
	for i, v := range a {
		out[len(a)-1-i] = v
	}
	return out, nil
}

func fnSort(ev *evaluator, args []any, input any) (any, error) {
	a, ok := arrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	out := append([]any(nil), a...)
	var sortErr error
	if fn, ok := arg(args, 1).(*function); ok {
		sort.SliceStable(out, func(i, j int) bool {
			r, err := ev.apply(fn, []any{out[j], out[i]}, input, 0)
			if err != nil && sortErr == nil {
				sortErr = err
			}
			return truthy(r)
		})
		return out, sortErr
	}
	allNum, allStr := true, true
	for _, v := range out {
		if _, ok := toNumber(v); !ok {
			allNum = false
		}
		if _, ok := v.(string); !ok {
			allStr = false
		}
	}
	switch {
	case allNum:
		sort.SliceStable(out, func(i, j int) bool { x, _ := toNumber(out[i]); y, _ := toNumber(out[j]); return x < y })
	case allStr:
		sort.SliceStable(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
	default:
		return nil, errorf("D3070", 0, "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function")
	}
	return out, nil
}

func fnDistinct(_ *evaluator, args []any, _ any) (any, error) {
	a, ok := arrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	var out []any
outer:
	for _, v := range a {
		for _, w := range out {
			if deepEqual(v, w) {
				continue outer
			}
		}
		out = append(out, v)
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

func fnZip(_ *evaluator, args []any, _ any) (any, error) {
	if len(args) == 0 {
		return []any{}, nil
	}
	n := math.MaxInt
	lists := make([][]any, len(args))
	for i := range args {
		a, _ := arrArg(args, i)
		lists[i] = a
		n = min(n, len(a))
	}
	out := make([]any, n)
	for i := 0; i < n; i++ {
		t := make([]any, len(lists))
		for j := range lists {
			t[j] = lists[j][i]
		}
		out[i] = t
	}
	return out, nil
}

func fnKeys(_ *evaluator, args []any, _ any) (any, error) {
	var out []any
	seen := map[string]bool{}
	objs, _ := arrArg(args, 0)
	for _, o := range objs {
		if obj, ok := o.(*jsonvalue.Object); ok {
			for _, k := range obj.Keys() {
				if !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	return collapse(out), nil
}

func fnLookup(_ *evaluator, args []any, _ any) (any, error) {
	k, _, err := strArg(args, 1, "lookup")
	if err != nil {
		return nil, err
	}
	return lookup(arg(args, 0), k), nil
}

func fnSpread(_ *evaluator, args []any, _ any) (any, error) {
	var out []any
	objs, _ := arrArg(args, 0)
	for _, o := range objs {
		obj, ok := o.(*jsonvalue.Object)
		if !ok {
			out = append(out, o)
			continue
		}
		for i := 0; i < obj.Len(); i++ {
			k, v := obj.At(i)
			one := jsonvalue.NewObject(1)
			one.Set(k, v)
			out = append(out, one)
		}
	}
	return collapse(out), nil
}

func fnMerge(_ *evaluator, args []any, _ any) (any, error) {
	objs, ok := arrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	out := jsonvalue.NewObject(0)
	for _, o := range objs {
		obj, ok := o.(*jsonvalue.Object)
		if !ok {
			return nil, typeErr("merge", 0)
		}
		for i := 0; i < obj.Len(); i++ {
			k, v := obj.At(i)
			out.Set(k, v)
		}
	}
	return out, nil
}

func fnEach(ev *evaluator, args []any, input any) (any, error) {
	obj, ok := arg(args, 0).(*jsonvalue.Object)
	fn, fok := arg(args, 1).(*function)
	if !ok || !fok {
		return Undefined, nil
	}
	var out []any
	for i := 0; i < obj.Len(); i++ {
		k, v := obj.At(i)
		r, err := ev.apply(fn, []any{v, k, obj}, input, 0)
		if err != nil {
			return nil, err
		}
		if !IsUndefined(r) {
			out = append(out, r)
		}
	}
	return collapse(out), nil
}

func fnSift(ev *evaluator, args []any, input any) (any, error) {
	obj, ok := arg(args, 0).(*jsonvalue.Object)
	fn, fok := arg(args, 1).(*function)
	if !ok || !fok {
		return Undefined, nil
	}
	out := jsonvalue.NewObject(0)
	for i := 0; i < obj.Len(); i++ {
		k, v := obj.At(i)
		r, err := ev.apply(fn, []any{v, k, obj}, input, 0)
		if err != nil {
			return nil, err
		}
		if truthy(r) {
			out.Set(k, v)
		}
	}
	if out.Len() == 0 {
		return Undefined, nil
	}
	return out, nil
}

func fnBoolean(_ *evaluator, args []any, _ any) (any, error) {
	v := arg(args, 0)
	if IsUndefined(v) {
		return Undefined, nil
	}
	return truthy(v), nil
}

func fnNot(_ *evaluator, args []any, _ any) (any, error) {
	v := arg(args, 0)
	if IsUndefined(v) {
		return Undefined, nil
	}
	return !truthy(v), nil
}

func fnExists(_ *evaluator, args []any, _ any) (any, error) {
	return !IsUndefined(arg(args, 0)), nil
}

func fnType(_ *evaluator, args []any, _ any) (any, error) {
	switch v := arg(args, 0).(type) {
	case undefinedType:
		return Undefined, nil
	case nil:
		return "null", nil
	case string:
		return "string", nil
	case bool:
		return "boolean", nil
	case []any:
		return "array", nil
	case *jsonvalue.Object:
		return "object", nil
	case *function:
		return "function", nil
	default:
		if _, ok := toNumber(v); ok {
			return "number", nil
		}
	}
	return Undefined, nil
}

// callback applies fn to (value, index, array), passing as many arguments as
// a lambda declares.
func callback(ev *evaluator, fn *function, v any, i int, a []any, input any) (any, error) {
	args := []any{v, float64(i), a}
	if fn.lambda != nil && len(fn.lambda.params) < 3 {
		args = args[:len(fn.lambda.params)]
	}
	return ev.apply(fn, args, input, 0)
}

func fnMap(ev *evaluator, args []any, input any) (any, error) {
	a, ok := arrArg(args, 0)
	fn, fok := arg(args, 1).(*function)
	if !ok || !fok {
		return Undefined, nil
	}
	var out []any
	for i, v := range a {
		r, err := callback(ev, fn, v, i, a, input)
		if err != nil {
			return nil, err
		}
		if !IsUndefined(r) {
			out = append(out, r)
		}
	}
	return collapse(out), nil
}

func fnFilter(ev *evaluator, args []any, input any) (any, error) {
	a, ok := arrArg(args, 0)
	fn, fok := arg(args, 1).(*function)
	if !ok || !fok {
		return Undefined, nil
	}
	var out []any
	for i, v := range a {
		r, err := callback(ev, fn, v, i, a, input)
		if err != nil {
			return nil, err
		}
		if truthy(r) {
			out = append(out, v)
		}
	}
	return collapse(out), nil
}

func fnSingle(ev *evaluator, args []any, input any) (any, error) {
	a, ok := arrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	fn, _ := arg(args, 1).(*function)
	var found []any
	for i, v := range a {
		keep := true
		if fn != nil {
			r, err := callback(ev, fn, v, i, a, input)
			if err != nil {
				return nil, err
			}
			keep = truthy(r)
		}
		if keep {
			found = append(found, v)
		}
	}
	switch len(found) {
	case 0:
		return nil, errorf("D3139", 0, "The $single() function expected exactly 1 matching result.  Instead it matched 0.")
	case 1:
		return found[0], nil
	}
	return nil, errorf("D3138", 0, "The $single() function expected exactly 1 matching result.  Instead it matched more.")
}

func fnReduce(ev *evaluator, args []any, input any) (any, error) {
	a, ok := arrArg(args, 0)
	fn, fok := arg(args, 1).(*function)
	if !ok || !fok {
		return Undefined, nil
	}
	if fn.lambda != nil && len(fn.lambda.params) < 2 {
		return nil, errorf("D3050", 0, "The second argument of reduce function must be a function with at least two arguments")
	}
	acc := arg(args, 2)
	start := 0
	if IsUndefined(acc) && len(a) > 0 {
		acc, start = a[0], 1
	}
	for i := start; i < len(a); i++ {
		callArgs := []any{acc, a[i], float64(i), a}
		if fn.lambda != nil && len(fn.lambda.params) < 4 {
			callArgs = callArgs[:len(fn.lambda.params)]
		}
		r, err := ev.apply(fn, callArgs, input, 0)
		if err != nil {
			return nil, err
		}
		acc = r
	}
	return acc, nil
}

func (ev *evaluator) nowMillis() int64 {
	if ev.opts.NowMillis != nil {
		return ev.opts.NowMillis()
	}
	return 0
}

func fnNow(ev *evaluator, _ []any, _ any) (any, error) {
	ms := ev.nowMillis()
	return timeFromMillis(ms), nil
}

func fnMillis(ev *evaluator, _ []any, _ any) (any, error) { return float64(ev.nowMillis()), nil }

func fnBase64Encode(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "base64encode")
	if !ok || err != nil {
		return Undefined, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "base64decode")
	if !ok || err != nil {
		return Undefined, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return nil, errorf("D3140", 0, "Malformed base64 string")
		}
	}
	return string(b), nil
}

func urlFn(name string, f func(string) string, component bool) native {
	return func(_ *evaluator, args []any, _ any) (any, error) {
		s, ok, err := strArg(args, 0, name)
		if !ok || err != nil {
			return Undefined, err
		}
		out := f(s)
		if component {
			out = strings.ReplaceAll(out, "+", "%20")
		}
		return out, nil
	}
}

func fnDecodeURL(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "decodeUrl")
	if !ok || err != nil {
		return Undefined, err
	}
	out, err := url.PathUnescape(s)
	if err != nil {
		return nil, errorf("D3140", 0, "Malformed URL passed to $decodeUrl(): %q", s)
	}
	return out, nil
}

func fnError(_ *evaluator, args []any, _ any) (any, error) {
	msg, _, _ := strArg(args, 0, "error")
	if msg == "" {
		msg = "$error() function evaluated"
	}
	return nil, errorf("D3137", 0, "%s", msg)
}

func fnAssert(_ *evaluator, args []any, _ any) (any, error) {
	c, ok := arg(args, 0).(bool)
	if !ok {
		return nil, errorf("T0410", 0, "Argument 1 of function \"assert\" does not match function signature")
	}
	if !c {
		msg, _, _ := strArg(args, 1, "assert")
		if msg == "" {
			msg = "$assert() statement failed"
		}
		return nil, errorf("D3141", 0, "%s", msg)
	}
	return Undefined, nil
}

func fnPartition(_ *evaluator, args []any, _ any) (any, error) {
	a, ok := arrArg(args, 0)
	size, sok, err := numArg(args, 1, "partition")
	if err != nil {
		return nil, err
	}
	if !ok || !sok || size < 1 || size != math.Trunc(size) {
		return nil, typeErr("partition", 1)
	}
	n := int(size)
	out := []any{}
	for i := 0; i < len(a); i += n {
		out = append(out, append([]any(nil), a[i:min(i+n, len(a))]...))
	}
	return out, nil
}

func fnRange(_ *evaluator, args []any, _ any) (any, error) {
	start, ok1, err := numArg(args, 0, "range")
	if err != nil {
		return nil, err
	}
	end, ok2, err := numArg(args, 1, "range")
	if err != nil {
		return nil, err
	}
	step, ok3, err := numArg(args, 2, "range")
	if err != nil {
		return nil, err
	}
	if !ok1 || !ok2 || !ok3 || step == 0 {
		return nil, typeErr("range", 2)
	}
	out := []any{}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) >= 1000 {
			return nil, errorf("D3050", 0, "The $range function cannot produce more than 1000 items")
		}
		out = append(out, v)
	}
	return out, nil
}

func fnHash(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "hash")
	if !ok || err != nil {
		return Undefined, err
	}
	algo := "SHA-256"
	if a, ok, err := strArg(args, 1, "hash"); err != nil {
		return nil, err
	} else if ok {
		algo = a
	}
	sum, ok := digest.Hex(algo, []byte(s))
	if !ok {
		return nil, typeErr("hash", 1)
	}
	return sum, nil
}

func fnUUID(ev *evaluator, _ []any, _ any) (any, error) {
	if ev.opts.Random != nil {
		return ev.opts.Random.UUID(), nil
	}
	return uuid.NewString(), nil
}

func fnParse(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "parse")
	if !ok || err != nil {
		return Undefined, err
	}
	v, err := jsonvalue.Decode([]byte(s))
	if err != nil {
		return nil, errorf("D3030", 0, "Unable to parse JSON: %v", err)
	}
	return v, nil
}

// matchObject is JSONata's description of one regex match.
func matchObject(s string, loc []int) *jsonvalue.Object {
	m := jsonvalue.NewObject(3)
	m.Set("match", s[loc[0]:loc[1]])
	m.Set("index", float64(utf16Len(s[:loc[0]])))
	groups := []any{}
	for g := 2; g+1 < len(loc); g += 2 {
		if loc[g] < 0 {
			groups = append(groups, "")
			continue
		}
		groups = append(groups, s[loc[g]:loc[g+1]])
	}
	m.Set("groups", groups)
	return m
}

func fnMatch(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "match")
	if !ok || err != nil {
		return Undefined, err
	}
	r, isRe := arg(args, 1).(*regex)
	if !isRe {
		return nil, typeErr("match", 1)
	}
	limit := -1
	if l, ok, err := numArg(args, 2, "match"); err != nil {
		return nil, err
	} else if ok {
		limit = int(l)
	}
	var out []any
	for _, loc := range r.re.FindAllStringSubmatchIndex(s, limit) {
		out = append(out, matchObject(s, loc))
	}
	return collapse(out), nil
}

func replaceRegex(ev *evaluator, s string, r *regex, args []any, input any) (any, error) {
	limit := -1
	if l, ok, err := numArg(args, 3, "replace"); err != nil {
		return nil, err
	} else if ok {
		limit = int(l)
	}
	fn, isFn := arg(args, 2).(*function)
	repl, isStr := arg(args, 2).(string)
	if !isFn && !isStr {
		return nil, typeErr("replace", 2)
	}
	var b strings.Builder
	last := 0
	for _, loc := range r.re.FindAllStringSubmatchIndex(s, limit) {
		b.WriteString(s[last:loc[0]])
		if isFn {
			v, err := ev.apply(fn, []any{matchObject(s, loc)}, input, 0)
			if err != nil {
				return nil, err
			}
			str, ok := v.(string)
			if !ok {
				return nil, errorf("D3012", 0, "Attempted to replace a matched string with a non-string value")
			}
			b.WriteString(str)
		} else {
			b.WriteString(expandReplacement(repl, s, loc))
		}
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// expandReplacement substitutes $0..$9 (and $$) as JSONata does.
func expandReplacement(repl, s string, loc []int) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '$' || i+1 >= len(repl) {
			b.WriteByte(c)
			continue
		}
		n := repl[i+1]
		switch {
		case n == '$':
			b.WriteByte('$')
			i++
		case n >= '0' && n <= '9':
			g := int(n - '0')
			if 2*g+1 < len(loc) && loc[2*g] >= 0 {
				b.WriteString(s[loc[2*g]:loc[2*g+1]])
			}
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// javaNextDouble is new java.util.Random(seed).nextDouble().
func javaNextDouble(seed int64) float64 {
	const mult, add, mask = 0x5DEECE66D, 0xB, (1 << 48) - 1
	s := (seed ^ mult) & mask
	next := func(bits uint) int64 {
		s = (s*mult + add) & mask
		return int64(int32(s >> (48 - bits)))
	}
	hi := next(26)
	lo := next(27)
	return float64(hi<<27+lo) / float64(int64(1)<<53)
}

func fnShuffle(ev *evaluator, args []any, _ any) (any, error) {
	a, ok := arrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	out := append([]any(nil), a...)
	for i := len(out) - 1; i > 0; i-- {
		var f float64
		if ev.opts.Random != nil {
			f = ev.opts.Random.Float64()
		} else {
			f = rand.Float64()
		}
		j := int(f * float64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
