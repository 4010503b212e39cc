package jsonpath

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// providerClass is the Jayway JSON provider named in its error messages.
const providerClass = "com.jayway.jsonpath.spi.json.JsonSmartJsonProvider"

// notFound is a Jayway PathNotFoundException.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }
func (e *notFound) Unwrap() error { return ErrNotFound }

// prefix returns Jayway's normalized path up to (not including) step i.
func (p *Path) prefix(i int) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range p.steps[:i] {
		b.WriteString(s.frag)
	}
	return b.String()
}

// tail returns Jayway's token string from step i to the end.
func (p *Path) tail(i int) string {
	var b strings.Builder
	for _, s := range p.steps[i:] {
		b.WriteString(s.frag)
	}
	return b.String()
}

func (p *Path) noResults() error {
	return &notFound{"No results for path: " + p.prefix(len(p.steps))}
}

func (p *Path) missingProperty(i int) error {
	return &notFound{"Missing property in path " + p.prefix(i+1)}
}

func (p *Path) notObject(i int, model any) error {
	return &notFound{"Expected to find an object with property " + p.steps[i].frag + " in path " + p.prefix(i) +
		" but found '" + javaClass(model) + "'. This is not a json object according to the JsonProvider: '" + providerClass + "'."}
}

func (p *Path) notArray(i int, model any) error {
	if model == nil {
		return &notFound{"The path " + p.prefix(i) + " is null"}
	}
	return &notFound{"Filter: " + p.tail(i) + " can only be applied to arrays. Current context is: " + javaString(model)}
}

func (p *Path) primitiveFilter(i int, model any) error {
	return &notFound{"Filter: " + p.tail(i) + " can not be applied to primitives. Current context is: " + javaString(model)}
}

// javaClass names the Java class json-smart would use for v.
func javaClass(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "java.lang.String"
	case bool:
		return "java.lang.Boolean"
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			if n >= -1<<31 && n <= 1<<31-1 {
				return "java.lang.Integer"
			}
			return "java.lang.Long"
		}
		if !strings.ContainsAny(string(x), ".eE") {
			return "java.math.BigInteger"
		}
		return "java.lang.Double"
	case []any:
		return "net.minidev.json.JSONArray"
	case *jsonvalue.Object:
		return "net.minidev.json.JSONObject"
	}
	return "java.lang.Object"
}

// javaString renders v as Java's String.valueOf would for json-smart values.
func javaString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case json.Number:
		return string(x)
	}
	b, _ := jsonvalue.Marshal(v)
	return string(b)
}

func (p *Path) get(root any) (any, error) {
	if p.definite {
		return p.getDefinite(root)
	}
	out := make([]any, 0, 4)
	var err error
	ev := evaluator{path: p, root: root, out: &out}
	err = ev.walk(0, root, true)
	if err != nil {
		return nil, err
	}
	if n := len(p.steps); n > 0 && p.steps[n-1].kind == stepLength {
		return applyFunction(p.steps[n-1].name, out)
	}
	return out, nil
}

func (p *Path) getDefinite(root any) (any, error) {
	cur := root
	last := len(p.steps) - 1
	for i := range p.steps {
		s := &p.steps[i]
		switch s.kind {
		case stepField:
			obj, ok := cur.(*jsonvalue.Object)
			if !ok {
				return nil, p.notObject(i, cur)
			}
			v, ok := obj.Get(s.name)
			if !ok {
				if i == last {
					return nil, p.noResults()
				}
				return nil, p.missingProperty(i)
			}
			cur = v
		case stepIndex:
			arr, ok := cur.([]any)
			if !ok {
				return nil, p.notArray(i, cur)
			}
			idx := s.index
			if idx < 0 {
				idx += len(arr)
			}
			if idx < 0 || idx >= len(arr) {
				return nil, p.noResults()
			}
			cur = arr[idx]
		case stepFields: // only ever the last step of a definite path
			obj, ok := cur.(*jsonvalue.Object)
			if !ok {
				return nil, p.notObject(i, cur)
			}
			m := jsonvalue.NewObject(len(s.names))
			for _, n := range s.names {
				if v, ok := obj.Get(n); ok {
					m.Set(n, v)
				}
			}
			cur = m
		case stepLength:
			v, err := applyFunction(s.name, cur)
			if err != nil {
				return nil, err
			}
			cur = v
		}
	}
	return cur, nil
}

// applyFunction applies one of Jayway's path functions to v.
func applyFunction(name string, v any) (any, error) {
	switch name {
	case "length", "size":
		return length(v)
	case "first", "last":
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return nil, &notFound{"Invalid function call: " + name + "() requires a non-empty array"}
		}
		if name == "first" {
			return arr[0], nil
		}
		return arr[len(arr)-1], nil
	case "keys":
		obj, ok := v.(*jsonvalue.Object)
		if !ok {
			return nil, &notFound{"Invalid function call: keys() requires an object"}
		}
		out := make([]any, obj.Len())
		for i, k := range obj.Keys() {
			out[i] = k
		}
		return out, nil
	}
	arr, ok := v.([]any)
	if !ok {
		arr = []any{v}
	}
	var nums []float64
	for _, e := range arr {
		if n, ok := e.(json.Number); ok {
			f, err := n.Float64()
			if err == nil {
				nums = append(nums, f)
			}
		}
	}
	if len(nums) == 0 {
		return nil, &notFound{"Aggregation function attempted to calculate value using empty array"}
	}
	var r float64
	switch name {
	case "sum", "avg", "stddev":
		for _, f := range nums {
			r += f
		}
		if name == "avg" {
			r /= float64(len(nums))
		}
		if name == "stddev" {
			mean := r / float64(len(nums))
			var sq float64
			for _, f := range nums {
				sq += f * f
			}
			r = math.Sqrt(sq/float64(len(nums)) - mean*mean)
		}
	case "min", "max":
		r = nums[0]
		for _, f := range nums[1:] {
			if (name == "min" && f < r) || (name == "max" && f > r) {
				r = f
			}
		}
	}
	return json.Number(javaDouble(r)), nil
}

// javaDouble renders f as Java's Double.toString, as Jayway's numeric
// functions return doubles.
func javaDouble(f float64) string {
	if f == 0 {
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
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func length(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		return json.Number(strconv.Itoa(len(x))), nil
	case *jsonvalue.Object:
		return json.Number(strconv.Itoa(x.Len())), nil
	case string:
		return json.Number(strconv.Itoa(len(utf16.Encode([]rune(x))))), nil
	}
	return nil, &notFound{"length operation cannot be applied to " + javaClass(v)}
}

type evaluator struct {
	path *Path
	root any
	out  *[]any
}

// walk applies steps[i:] to cur. upDef is true while every step before i
// was definite; Jayway only raises errors in that case.
func (e *evaluator) walk(i int, cur any, upDef bool) error {
	p := e.path
	if i == len(p.steps) {
		*e.out = append(*e.out, cur)
		return nil
	}
	s := &p.steps[i]
	switch s.kind {
	case stepLength:
		// length() of an indefinite path is applied to the result list by get.
		*e.out = append(*e.out, cur)
		return nil
	case stepField:
		obj, ok := cur.(*jsonvalue.Object)
		if !ok {
			if upDef {
				return p.notObject(i, cur)
			}
			return nil
		}
		v, ok := obj.Get(s.name)
		if !ok {
			if upDef && i != len(p.steps)-1 && p.steps[i+1].kind != stepLength {
				return p.missingProperty(i)
			}
			return nil
		}
		return e.walk(i+1, v, upDef)
	case stepFields:
		obj, ok := cur.(*jsonvalue.Object)
		if !ok {
			if upDef {
				return p.notObject(i, cur)
			}
			return nil
		}
		if i == len(p.steps)-1 { // Jayway merges the properties into one object.
			m := jsonvalue.NewObject(len(s.names))
			for _, n := range s.names {
				if v, ok := obj.Get(n); ok {
					m.Set(n, v)
				}
			}
			*e.out = append(*e.out, m)
			return nil
		}
		for _, n := range s.names {
			if v, ok := obj.Get(n); ok {
				if err := e.walk(i+1, v, false); err != nil {
					return err
				}
			}
		}
		return nil
	case stepIndex, stepIndexes, stepSlice:
		arr, ok := cur.([]any)
		if !ok {
			if upDef {
				return p.notArray(i, cur)
			}
			return nil
		}
		nextDef := upDef && s.kind == stepIndex
		visit := func(idx int) error {
			if idx < 0 {
				idx += len(arr)
			}
			if idx < 0 || idx >= len(arr) {
				return nil
			}
			return e.walk(i+1, arr[idx], nextDef)
		}
		switch s.kind {
		case stepIndex:
			return visit(s.index)
		case stepIndexes:
			for _, idx := range s.indexes {
				if err := visit(idx); err != nil {
					return err
				}
			}
			return nil
		}
		from, to := sliceBounds(s, len(arr))
		for idx := from; idx < to; idx++ {
			if err := e.walk(i+1, arr[idx], false); err != nil {
				return err
			}
		}
		return nil
	case stepWildcard:
		switch x := cur.(type) {
		case *jsonvalue.Object:
			for k := 0; k < x.Len(); k++ {
				_, v := x.At(k)
				if err := e.walk(i+1, v, false); err != nil {
					return err
				}
			}
		case []any:
			for _, v := range x {
				if err := e.walk(i+1, v, false); err != nil {
					return err
				}
			}
		}
		return nil
	case stepFilter:
		switch x := cur.(type) {
		case *jsonvalue.Object:
			if e.accept(&s.filter, x) {
				return e.walk(i+1, x, false)
			}
		case []any:
			for _, v := range x {
				if e.accept(&s.filter, v) {
					if err := e.walk(i+1, v, false); err != nil {
						return err
					}
				}
			}
		default:
			if upDef {
				return p.primitiveFilter(i, cur)
			}
		}
		return nil
	case stepScan:
		return e.scan(i+1, cur)
	}
	return nil
}

// scan applies steps[i:] at cur and at every node below it, in document order.
func (e *evaluator) scan(i int, cur any) error {
	next := &e.path.steps[i]
	switch x := cur.(type) {
	case *jsonvalue.Object:
		apply := true
		if next.kind == stepField {
			apply = x.Has(next.name)
		}
		if next.kind == stepIndex || next.kind == stepIndexes || next.kind == stepSlice {
			apply = false
		}
		if apply {
			if err := e.walk(i, x, false); err != nil {
				return err
			}
		}
		for k := 0; k < x.Len(); k++ {
			_, v := x.At(k)
			if err := e.scan(i, v); err != nil {
				return err
			}
		}
	case []any:
		switch next.kind {
		case stepIndex, stepIndexes, stepSlice, stepWildcard:
			if err := e.walk(i, x, false); err != nil {
				return err
			}
		case stepFilter:
			// Jayway tests each element of the array against the filter.
			for _, v := range x {
				if e.accept(&next.filter, v) {
					if err := e.walk(i+1, v, false); err != nil {
						return err
					}
				}
			}
		}
		for _, v := range x {
			if err := e.scan(i, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func sliceBounds(s *step, n int) (int, int) {
	from, to := 0, n
	if s.hasFrom {
		from = s.from
		if from < 0 {
			from += n
		}
		from = max(0, from)
	}
	if s.hasTo {
		to = s.to
		if to < 0 {
			to += n
		}
		to = min(n, max(0, to))
	}
	if from > to {
		from = to
	}
	return from, to
}

// accept evaluates a filter against an item.
func (e *evaluator) accept(x *expr, item any) bool {
	switch x.kind {
	case exprOr:
		return e.accept(x.left, item) || e.accept(x.right, item)
	case exprAnd:
		return e.accept(x.left, item) && e.accept(x.right, item)
	case exprNot:
		return !e.accept(x.left, item)
	case exprExists:
		_, ok := e.operand(x.left, item)
		return ok
	case exprCompare:
		l, lok := e.operand(x.left, item)
		if x.op == "=~" {
			s, ok := l.(string)
			return lok && ok && x.regex.re.MatchString(s)
		}
		r, rok := e.operand(x.right, item)
		return compare(x.op, l, lok, r, rok)
	}
	return false
}

func (e *evaluator) operand(x *expr, item any) (any, bool) {
	switch x.kind {
	case exprLiteral:
		return x.value, true
	case exprPath:
		base := e.root
		if x.relative {
			base = item
		}
		v, err := x.path.Get(base)
		if err != nil {
			return nil, false
		}
		return v, true
	}
	return nil, false
}

func compare(op string, l any, lok bool, r any, rok bool) bool {
	switch op {
	case "==":
		return lok && rok && looseEqual(l, r)
	case "!=":
		return !(lok && rok && looseEqual(l, r))
	case "<", "<=", ">", ">=":
		if !lok || !rok {
			return false
		}
		c, ok := order(l, r)
		if !ok {
			return false
		}
		switch op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	case "in", "nin":
		found := false
		if arr, ok := r.([]any); ok && lok && rok {
			for _, v := range arr {
				if looseEqual(l, v) {
					found = true
					break
				}
			}
		}
		if op == "in" {
			return found
		}
		return !found
	case "subsetof", "anyof", "noneof":
		la, ok1 := l.([]any)
		ra, ok2 := r.([]any)
		if !lok || !rok || !ok1 || !ok2 {
			return false
		}
		contains := func(v any) bool {
			for _, w := range ra {
				if looseEqual(v, w) {
					return true
				}
			}
			return false
		}
		switch op {
		case "subsetof":
			for _, v := range la {
				if !contains(v) {
					return false
				}
			}
			return true
		case "anyof":
			for _, v := range la {
				if contains(v) {
					return true
				}
			}
			return false
		}
		for _, v := range la {
			if contains(v) {
				return false
			}
		}
		return true
	case "size":
		n, ok := r.(json.Number)
		if !lok || !rok || !ok {
			return false
		}
		ln, err := length(l)
		if err != nil {
			return false
		}
		return jsonvalue.NumberEqual(ln.(json.Number), n)
	case "empty":
		b, ok := r.(bool)
		if !lok || !rok || !ok {
			return false
		}
		switch x := l.(type) {
		case []any:
			return (len(x) == 0) == b
		case string:
			return (len(x) == 0) == b
		}
		return false
	}
	return false
}

func looseEqual(a, b any) bool {
	if an, ok := a.(json.Number); ok {
		if bs, ok := b.(string); ok {
			if _, err := json.Number(bs).Float64(); err == nil {
				return jsonvalue.NumberEqual(an, json.Number(bs))
			}
			return false
		}
	}
	if as, ok := a.(string); ok {
		if bn, ok := b.(json.Number); ok {
			return looseEqual(bn, as)
		}
	}
	return jsonvalue.Equal(a, b)
}

func order(a, b any) (int, bool) {
	switch x := a.(type) {
	case json.Number:
		if y, ok := b.(json.Number); ok {
			return jsonvalue.CompareNumbers(x, y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	}
	return 0, false
}

func (p *Path) isReference() bool {
	for _, s := range p.steps {
		if s.kind != stepField && s.kind != stepIndex {
			return false
		}
	}
	return true
}

// setError is AWS's ResultPathMatchFailure cause.
type setError struct{ msg string }

func (e *setError) Error() string { return e.msg }
func (e *setError) Unwrap() error { return ErrSet }

func (p *Path) set(root, value any) (any, error) {
	if !p.isReference() {
		return nil, &setError{"Unable to apply ReferencePath " + p.src + " to input " + javaJSON(root) + ": not a reference path"}
	}
	v, ok := setAt(p.steps, root, value)
	if !ok {
		return nil, &setError{"Unable to apply ReferencePath " + p.src + " to input " + javaJSON(root)}
	}
	return v, nil
}

func javaJSON(v any) string {
	b, err := jsonvalue.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// chain builds the objects a ResultPath creates below a missing member:
// {"b":{"c":value}} for the steps ['b']['c']. Only field steps can be
// created.
func chain(steps []step, value any) (any, bool) {
	v := value
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].kind != stepField {
			return nil, false
		}
		v = jsonvalue.FromMembers([]string{steps[i].name}, []any{v})
	}
	return v, true
}

// setAt returns a copy of cur with value written at steps; it copies only
// the containers along the path.
func setAt(steps []step, cur, value any) (any, bool) {
	if len(steps) == 0 {
		return value, true
	}
	s := &steps[0]
	switch s.kind {
	case stepField:
		obj, ok := cur.(*jsonvalue.Object)
		if !ok {
			return nil, false
		}
		child, exists := obj.Get(s.name)
		if !exists && len(steps) > 1 {
			nv, ok := chain(steps[1:], value)
			if !ok {
				return nil, false
			}
			return obj.With(s.name, nv), true
		}
		nv, ok := setAt(steps[1:], child, value)
		if !ok {
			return nil, false
		}
		return obj.With(s.name, nv), true
	case stepIndex:
		arr, ok := cur.([]any)
		if !ok {
			return nil, false
		}
		idx := s.index
		if idx < 0 {
			idx += len(arr)
		}
		if idx < 0 || idx >= len(arr) {
			return nil, false
		}
		nv, ok := setAt(steps[1:], arr[idx], value)
		if !ok {
			return nil, false
		}
		c := append([]any(nil), arr...)
		c[idx] = nv
		return c, true
	}
	return nil, false
}
