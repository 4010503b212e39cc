package jsonata

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

type undefinedType struct{}

// Undefined is the result of an expression that selects nothing; Eval
// returns it instead of a value.
var Undefined any = undefinedType{}

// IsUndefined reports whether v is Undefined.
func IsUndefined(v any) bool { _, ok := v.(undefinedType); return ok }

// function is a callable value: a built-in or a lambda with its closure.
type function struct {
	name    string
	native  func(ev *evaluator, args []any, input any) (any, error)
	lambda  *node
	closure *scope
}

type scope struct {
	vars   map[string]any
	parent *scope
}

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// Random supplies randomness for $random and $uuid; Eval uses math/rand/v2
// and google/uuid when it is nil.
type Random interface {
	Float64() float64
	UUID() string
}

// Options tune an evaluation.
type Options struct {
	// Random makes $random and $uuid deterministic when set.
	Random Random
	// NowMillis returns the evaluation time for $now and $millis; nil means
	// the Unix epoch.
	NowMillis func() int64
}

type evaluator struct {
	opts  Options
	depth int
	steps int
}

const (
	// maxDepth is the evaluation depth at which AWS reports a stack
	// overflow (observed: a sum of 200 terms fails).
	maxDepth = 100
	maxSteps = 5_000_000
	// maxRangeItems and maxStringBytes follow AWS's memory bound (observed:
	// [1..873782] evaluates, [1..873783] fails; 2^22-character strings pass,
	// 2^23 fail), read as 873782 eight-byte values.
	maxRangeItems  = 873_782
	maxStringBytes = maxRangeItems * 8
)

// Eval evaluates the expression with input as the context ("$"; Step
// Functions passes Undefined: its expressions have no context item) and the
// given variables (names without "$"). The result uses jsonvalue shapes
// (computed numbers become json.Number) or is Undefined.
func (e *Expr) Eval(input any, vars map[string]any, opts Options) (any, error) {
	ev := &evaluator{opts: opts}
	root := &scope{vars: builtins()}
	// Bindings made by the expression go into a scope of its own so that
	// neither vars nor the library is ever modified.
	sc := &scope{parent: &scope{vars: vars, parent: root}}
	v, err := ev.eval(e.root, input, sc)
	if err != nil {
		return nil, err
	}
	switch v.(type) {
	case *function, *regex:
		return Function, nil
	}
	return export(v, e.root.pos)
}

// Function is what Eval returns when the expression's value is a function
// (or a regular expression), which has no JSON form.
var Function any = functionResult{}

type functionResult struct{}

// IsFunction reports whether v is Function.
func IsFunction(v any) bool { _, ok := v.(functionResult); return ok }

// export converts internal values (float64, functions, undefined members)
// to jsonvalue shapes.
func export(v any, pos int) (any, error) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			// Observed: AWS outputs non-finite numbers as strings
			// ([1/0] gives ["Infinity"]).
			return formatNumber(x), nil
		}
		return json.Number(formatNumber(x)), nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if IsUndefined(e) {
				continue
			}
			ev, err := export(e, pos)
			if err != nil {
				return nil, err
			}
			if _, isFn := ev.(*function); isFn {
				continue
			}
			out = append(out, ev)
		}
		return out, nil
	case *jsonvalue.Object:
		// Objects from the input pass through; built objects were exported
		// when they were built.
		return x, nil
	case *function, *regex:
		return "", nil
	}
	return v, nil
}

// formatNumber renders f the way JavaScript's JSON.stringify does.
func formatNumber(f float64) string {
	switch {
	case f == 0:
		return "0"
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	abs := math.Abs(f)
	if abs >= 1e21 || abs < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		if exp[0] == '+' {
			return mant + "e+" + strings.TrimLeft(exp[1:], "0")
		}
		return mant + "e-" + strings.TrimLeft(exp[1:], "0")
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// precision15 is JavaScript's Number(f.toPrecision(15)), which JSONata's
// $string applies to every number it renders.
func precision15(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		return f
	}
	return r
}

func (ev *evaluator) eval(n *node, input any, sc *scope) (any, error) {
	ev.depth++
	ev.steps++
	defer func() { ev.depth-- }()
	if ev.steps > maxSteps {
		return nil, errorf("U1002", n.pos, "Evaluation exceeded %d steps", maxSteps)
	}
	if ev.depth > maxDepth {
		return nil, errorf("", n.pos, "Stack overflow error: Check for non-terminating recursive function. Consider rewriting as tail-recursive.")
	}
	var v any
	var err error
	switch n.kind {
	case nPath:
		return ev.path(n, input, sc)
	default:
		v, err = ev.evalNode(n, input, sc)
	}
	if err != nil {
		return nil, err
	}
	for _, st := range n.stages {
		if v, err = ev.filter(st, v, sc); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (ev *evaluator) evalNode(n *node, input any, sc *scope) (any, error) {
	switch n.kind {
	case nLiteral:
		return n.value, nil
	case nName:
		return lookup(input, n.name), nil
	case nWildcard:
		return wildcard(input), nil
	case nDescendants:
		var out []any
		descendants(input, &out)
		return collapse(out), nil
	case nVariable:
		if n.name == "" {
			return input, nil
		}
		if n.name == "$" {
			return input, nil
		}
		v, ok := sc.lookup(n.name)
		if !ok {
			return Undefined, nil
		}
		return v, nil
	case nNegate:
		v, err := ev.eval(n.lhs, input, sc)
		if err != nil || IsUndefined(v) {
			return v, err
		}
		f, ok := toNumber(v)
		if !ok {
			return nil, errorf("D1002", n.pos, "Cannot negate a non-numeric value: %s", stringify(v))
		}
		return -f, nil
	case nBinary:
		return ev.binary(n, input, sc)
	case nArray:
		out := make([]any, 0, len(n.items))
		for _, it := range n.items {
			if it.kind == nBinary && it.name == ".." {
				r, err := ev.rangeOp(it, input, sc)
				if err != nil {
					return nil, err
				}
				if len(n.items) == 1 && len(r) == 1 {
					// Observed on AWS: a range of one number, such as
					// [1..1], is that number, not a one-element array.
					return r[0], nil
				}
				out = append(out, r...)
				continue
			}
			v, err := ev.eval(it, input, sc)
			if err != nil {
				return nil, err
			}
			if IsUndefined(v) {
				continue
			}
			if arr, ok := v.([]any); ok && it.kind != nArray {
				out = append(out, arr...)
			} else {
				out = append(out, v)
			}
		}
		return out, nil
	case nObject:
		obj := jsonvalue.NewObject(len(n.pairs))
		for _, pr := range n.pairs {
			k, err := ev.eval(pr[0], input, sc)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, errorf("T1003", pr[0].pos, "Key in object structure must evaluate to a string; got: %s", stringify(k))
			}
			v, err := ev.eval(pr[1], input, sc)
			if err != nil {
				return nil, err
			}
			if IsUndefined(v) {
				continue
			}
			if obj.Has(ks) {
				return nil, errorf("D1009", pr[0].pos, "Multiple key definitions evaluate to same key: %q", ks)
			}
			ex, err := export(v, pr[1].pos)
			if err != nil {
				return nil, err
			}
			obj.Set(ks, ex)
		}
		return obj, nil
	case nBlock:
		inner := &scope{vars: map[string]any{}, parent: sc}
		var v any = Undefined
		for _, e := range n.items {
			var err error
			if v, err = ev.eval(e, input, inner); err != nil {
				return nil, err
			}
		}
		return v, nil
	case nCondition:
		c, err := ev.eval(n.cond, input, sc)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return ev.eval(n.then, input, sc)
		}
		if n.els != nil {
			return ev.eval(n.els, input, sc)
		}
		return Undefined, nil
	case nBind:
		v, err := ev.eval(n.rhs, input, sc)
		if err != nil {
			return nil, err
		}
		if sc.vars == nil {
			sc.vars = map[string]any{}
		}
		sc.vars[n.name] = v
		return v, nil
	case nLambda:
		return &function{name: "lambda", lambda: n, closure: sc}, nil
	case nCall:
		fv, err := ev.eval(n.lhs, input, sc)
		if err != nil {
			return nil, err
		}
		fn, ok := fv.(*function)
		if !ok {
			return nil, errorf("T1006", n.pos, "Attempted to invoke a non-function")
		}
		args := make([]any, 0, len(n.items))
		for _, a := range n.items {
			v, err := ev.eval(a, input, sc)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		if len(args) == 0 && fn.native != nil && contextArg[fn.name] && !IsUndefined(input) && input != nil {
			// Like JSONata's "-" signature flag: the context item stands in
			// for a missing first argument.
			args = append(args, input)
		}
		return ev.apply(fn, args, input, n.pos)
	case nChain:
		lv, err := ev.eval(n.lhs, input, sc)
		if err != nil {
			return nil, err
		}
		if n.rhs.kind == nCall {
			fv, err := ev.eval(n.rhs.lhs, input, sc)
			if err != nil {
				return nil, err
			}
			fn, ok := fv.(*function)
			if !ok {
				return nil, errorf("T2006", n.pos, "The right side of the function application operator ~> must be a function")
			}
			args := []any{lv}
			for _, a := range n.rhs.items {
				v, err := ev.eval(a, input, sc)
				if err != nil {
					return nil, err
				}
				args = append(args, v)
			}
			return ev.apply(fn, args, input, n.pos)
		}
		fv, err := ev.eval(n.rhs, input, sc)
		if err != nil {
			return nil, err
		}
		fn, ok := fv.(*function)
		if !ok {
			return nil, errorf("T2006", n.pos, "The right side of the function application operator ~> must be a function")
		}
		return ev.apply(fn, []any{lv}, input, n.pos)
	}
	return nil, errorf("S0201", n.pos, "Unsupported expression")
}

// contextArg lists the functions that take the context item when called
// without arguments; it is never modified.
var contextArg = map[string]bool{
	"string": true, "length": true, "uppercase": true, "lowercase": true, "trim": true, "number": true,
	"base64encode": true, "base64decode": true, "encodeUrlComponent": true, "encodeUrl": true,
	"decodeUrlComponent": true, "decodeUrl": true, "boolean": true, "keys": true, "toMillis": true,
}

func (ev *evaluator) apply(fn *function, args []any, input any, pos int) (any, error) {
	if fn.native != nil {
		v, err := fn.native(ev, args, input)
		if err != nil {
			if je, ok := err.(*Error); ok && je.Position == 0 {
				je.Position = pos
			}
			return nil, err
		}
		return v, nil
	}
	l := fn.lambda
	vars := make(map[string]any, len(l.params))
	for i, p := range l.params {
		if i < len(args) {
			vars[p] = args[i]
		} else {
			vars[p] = Undefined
		}
	}
	return ev.eval(l.lhs, input, &scope{vars: vars, parent: fn.closure})
}

// path evaluates a location path step by step, flattening as JSONata does.
func (ev *evaluator) path(n *node, input any, sc *scope) (any, error) {
	// As in jsonata-js, a non-array input (even undefined) is a sequence of
	// one item, so a first step that ignores its context (a function call,
	// a constructor) still runs.
	var seq []any
	if arr, ok := input.([]any); ok && n.items[0].kind != nVariable {
		seq = arr
	} else {
		seq = []any{input}
	}
	keepSingle := false
	for i, st := range n.items {
		last := i == len(n.items)-1
		var results []any
		ev.steps += len(seq)
		if ev.steps > maxSteps {
			return nil, errorf("U1002", st.pos, "Evaluation exceeded %d steps", maxSteps)
		}
		for _, item := range seq {
			v, err := ev.evalNode(st, item, sc)
			if err != nil {
				return nil, err
			}
			for _, pred := range st.stages {
				if v, err = ev.filter(pred, v, sc); err != nil {
					return nil, err
				}
			}
			if !IsUndefined(v) {
				results = append(results, v)
			}
		}
		if last && len(results) == 1 {
			if arr, ok := results[0].([]any); ok && !st.cons {
				seq = arr
				keepSingle = true
				break
			}
		}
		next := make([]any, 0, len(results))
		for _, r := range results {
			if arr, ok := r.([]any); ok && !st.cons {
				next = append(next, arr...)
			} else {
				next = append(next, r)
			}
		}
		seq = next
		if len(seq) == 0 {
			return Undefined, nil
		}
	}
	if keepSingle {
		// A single array selected by the last step is returned as it is,
		// even when it is empty (jsonata-js: {"a":[]} "a" gives []).
		return seq, nil
	}
	if n.keep {
		if len(seq) == 0 {
			return Undefined, nil
		}
		return seq, nil
	}
	return collapse(seq), nil
}

func collapse(seq []any) any {
	switch len(seq) {
	case 0:
		return Undefined
	case 1:
		return seq[0]
	}
	return seq
}

func lookup(input any, name string) any {
	switch x := input.(type) {
	case *jsonvalue.Object:
		v, ok := x.Get(name)
		if !ok {
			return Undefined
		}
		return v
	case []any:
		var out []any
		for _, e := range x {
			v := lookup(e, name)
			if IsUndefined(v) {
				continue
			}
			if arr, ok := v.([]any); ok {
				out = append(out, arr...)
			} else {
				out = append(out, v)
			}
		}
		return collapse(out)
	}
	return Undefined
}

func wildcard(input any) any {
	var out []any
	switch x := input.(type) {
	case *jsonvalue.Object:
		for i := 0; i < x.Len(); i++ {
			_, v := x.At(i)
			if arr, ok := v.([]any); ok {
				out = append(out, arr...)
			} else {
				out = append(out, v)
			}
		}
	case []any:
		for _, e := range x {
			w := wildcard(e)
			if arr, ok := w.([]any); ok {
				out = append(out, arr...)
			} else if !IsUndefined(w) {
				out = append(out, w)
			}
		}
	}
	return collapse(out)
}

func descendants(v any, out *[]any) {
	switch x := v.(type) {
	case *jsonvalue.Object:
		*out = append(*out, x)
		for i := 0; i < x.Len(); i++ {
			_, e := x.At(i)
			descendants(e, out)
		}
	case []any:
		for _, e := range x {
			descendants(e, out)
		}
	default:
		if !IsUndefined(v) {
			*out = append(*out, v)
		}
	}
}

// filter applies a predicate stage: a number selects by index, anything
// else keeps the items for which it is truthy.
func (ev *evaluator) filter(pred *node, v any, sc *scope) (any, error) {
	if IsUndefined(v) {
		return Undefined, nil
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	var out []any
	if pred.kind == nLiteral {
		if f, ok := pred.value.(float64); ok {
			idx := int(math.Floor(f))
			if idx < 0 {
				idx += len(items)
			}
			if idx >= 0 && idx < len(items) {
				if arr, ok := items[idx].([]any); ok {
					return arr, nil
				}
				return items[idx], nil
			}
			return Undefined, nil
		}
	}
	for i, item := range items {
		r, err := ev.eval(pred, item, sc)
		if err != nil {
			return nil, err
		}
		if f, ok := toNumber(r); ok && !isBool(r) {
			idx := int(math.Floor(f))
			if idx < 0 {
				idx += len(items)
			}
			if idx == i {
				out = append(out, item)
			}
			continue
		}
		if nums, ok := r.([]any); ok && allNumbers(nums) {
			for _, nv := range nums {
				f, _ := toNumber(nv)
				idx := int(math.Floor(f))
				if idx < 0 {
					idx += len(items)
				}
				if idx == i {
					out = append(out, item)
				}
			}
			continue
		}
		if truthy(r) {
			out = append(out, item)
		}
	}
	return collapse(out), nil
}

func isBool(v any) bool { _, ok := v.(bool); return ok }

func allNumbers(a []any) bool {
	for _, v := range a {
		if _, ok := toNumber(v); !ok || isBool(v) {
			return false
		}
	}
	return len(a) > 0
}

// toNumber converts float64 and json.Number to float64.
func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	}
	return 0, false
}

// truthy is JSONata's boolean cast.
func truthy(v any) bool {
	switch x := v.(type) {
	case undefinedType, nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0
	case json.Number:
		f, _ := toNumber(x)
		return f != 0
	case []any:
		if len(x) == 1 {
			return truthy(x[0])
		}
		for _, e := range x {
			if truthy(e) {
				return true
			}
		}
		return false
	case *jsonvalue.Object:
		return x.Len() > 0
	case *function:
		return false
	}
	return false
}

func (ev *evaluator) rangeOp(n *node, input any, sc *scope) ([]any, error) {
	l, err := ev.eval(n.lhs, input, sc)
	if err != nil {
		return nil, err
	}
	r, err := ev.eval(n.rhs, input, sc)
	if err != nil {
		return nil, err
	}
	if IsUndefined(l) || IsUndefined(r) {
		return nil, nil
	}
	lf, ok := toNumber(l)
	if !ok || lf != math.Trunc(lf) {
		return nil, errorf("T2003", n.pos, "The left side of the range operator (..) must evaluate to an integer")
	}
	rf, ok := toNumber(r)
	if !ok || rf != math.Trunc(rf) {
		return nil, errorf("T2004", n.pos, "The right side of the range operator (..) must evaluate to an integer")
	}
	if rf-lf >= 1e7 {
		return nil, errorf("D2014", n.pos, "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate %s.", formatNumber(rf-lf+1))
	}
	if rf-lf >= maxRangeItems {
		return nil, memoryError(n.pos)
	}
	ev.steps += int(rf-lf) + 1
	if ev.steps > maxSteps {
		return nil, errorf("U1002", n.pos, "Evaluation exceeded %d steps", maxSteps)
	}
	var out []any
	for i := lf; i <= rf; i++ {
		out = append(out, i)
	}
	return out, nil
}

func (ev *evaluator) binary(n *node, input any, sc *scope) (any, error) {
	op := n.name
	if op == ".." {
		r, err := ev.rangeOp(n, input, sc)
		if err != nil {
			return nil, err
		}
		return collapse(r), nil
	}
	l, err := ev.eval(n.lhs, input, sc)
	if err != nil {
		return nil, err
	}
	switch op {
	case "and":
		if !truthy(l) {
			return false, nil
		}
		r, err := ev.eval(n.rhs, input, sc)
		if err != nil {
			return nil, err
		}
		return truthy(r), nil
	case "or":
		if truthy(l) {
			return true, nil
		}
		r, err := ev.eval(n.rhs, input, sc)
		if err != nil {
			return nil, err
		}
		return truthy(r), nil
	}
	r, err := ev.eval(n.rhs, input, sc)
	if err != nil {
		return nil, err
	}
	switch op {
	case "+", "-", "*", "/", "%":
		lu, ru := IsUndefined(l), IsUndefined(r)
		lf, lok := toNumber(l)
		rf, rok := toNumber(r)
		if !lu && !lok {
			return nil, errorf("T2001", n.pos, "The left side of the %q operator must evaluate to a number", op)
		}
		if !ru && !rok {
			return nil, errorf("T2002", n.pos, "The right side of the %q operator must evaluate to a number", op)
		}
		if lu || ru {
			return Undefined, nil
		}
		switch op {
		case "+":
			return lf + rf, nil
		case "-":
			return lf - rf, nil
		case "*":
			return lf * rf, nil
		case "/":
			return lf / rf, nil
		}
		return math.Mod(lf, rf), nil
	case "&":
		ls, rs := stringOf(l), stringOf(r)
		if len(ls)+len(rs) > maxStringBytes {
			return nil, memoryError(n.pos)
		}
		return ls + rs, nil
	case "=", "!=":
		if IsUndefined(l) || IsUndefined(r) {
			return false, nil
		}
		eq := deepEqual(l, r)
		if op == "=" {
			return eq, nil
		}
		return !eq, nil
	case "<", "<=", ">", ">=":
		if IsUndefined(l) || IsUndefined(r) {
			return false, nil
		}
		lf, lok := toNumber(l)
		rf, rok := toNumber(r)
		ls, lsok := l.(string)
		rs, rsok := r.(string)
		if (!lok && !lsok) || (!rok && !rsok) {
			return nil, errorf("T2010", n.pos, "The expressions either side of operator %q must evaluate to numeric or string values", op)
		}
		var c int
		switch {
		case lok && rok:
			c = cmpFloat(lf, rf)
		case lsok && rsok:
			c = strings.Compare(ls, rs)
		default:
			return nil, errorf("T2009", n.pos, "The values %s and %s either side of operator %q must be of the same data type", stringify(l), stringify(r), op)
		}
		switch op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "in":
		if IsUndefined(l) || IsUndefined(r) {
			return false, nil
		}
		items, ok := r.([]any)
		if !ok {
			items = []any{r}
		}
		for _, it := range items {
			if deepEqual(l, it) {
				return true, nil
			}
		}
		return false, nil
	}
	return nil, errorf("S0201", n.pos, "Unsupported operator %s", op)
}

// memoryError is AWS's uncoded failure for an expression that allocates too
// much.
func memoryError(pos int) error {
	return errorf("", pos, "Expression evaluation memory limit exceeded: Check for excessive memory usage")
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// deepEqual is JSONata's = : JSON equality with numbers compared as
// doubles (computed float64 or input json.Number alike) and other scalars,
// functions included, by identity.
func deepEqual(a, b any) bool { return jsonvalue.EqualBy(a, b, jsonataScalars) }

func jsonataScalars(a, b any) (bool, bool) {
	af, aok := toNumber(a)
	bf, bok := toNumber(b)
	if aok && bok {
		return af == bf, true
	}
	switch a.(type) {
	case []any, *jsonvalue.Object:
		return false, true // b is a scalar
	}
	switch b.(type) {
	case []any, *jsonvalue.Object:
		return false, true
	}
	return a == b, true
}

// stringOf is $string's conversion: strings unchanged, undefined as "",
// everything else as JSON with JavaScript number formatting.
func stringOf(v any) string {
	switch x := v.(type) {
	case undefinedType:
		return ""
	case string:
		return x
	}
	return stringify(v)
}

func stringify(v any) string {
	switch x := v.(type) {
	case undefinedType:
		return "undefined"
	case *function, *regex:
		return ""
	case float64:
		return formatNumber(precision15(x))
	case json.Number:
		f, _ := toNumber(x)
		return formatNumber(precision15(f))
	case []any:
		var b strings.Builder
		b.WriteByte('[')
		first := true
		for _, e := range x {
			if IsUndefined(e) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			if _, isFn := e.(*function); isFn {
				b.WriteString(`""`)
				continue
			}
			b.WriteString(stringify(e))
		}
		b.WriteByte(']')
		return b.String()
	case *jsonvalue.Object:
		var b strings.Builder
		b.WriteByte('{')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			k, e := x.At(i)
			b.Write(jsonvalue.AppendString(nil, k))
			b.WriteByte(':')
			b.WriteString(stringify(e))
		}
		b.WriteByte('}')
		return b.String()
	case string:
		return string(jsonvalue.AppendString(nil, x))
	}
	out, err := jsonvalue.Marshal(v)
	if err != nil {
		return ""
	}
	return string(out)
}
