package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
)

// Pattern is a compiled EventBridge event pattern. The zero value matches
// nothing; use Compile.
type Pattern struct {
	root *node
}

// node is one object level of a pattern: every field must match, and each
// $or group must have at least one alternative that matches.
type node struct {
	fields []field
	ors    [][]*node
}

// field is the list of matchers for one leaf path; any of them may match.
type field struct {
	path     string
	matchers []matcher
}

// matcher tests one leaf value of an event. absent reports what the matcher
// says about a field the event does not have (only exists:false says yes).
type matcher interface {
	match(v any) bool
	absent() bool
}

// Compile parses an EventBridge event pattern. Errors name the offending
// field path.
func Compile(pattern []byte) (*Pattern, error) {
	v, err := decode(pattern)
	if err != nil {
		return nil, fmt.Errorf("event pattern: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("event pattern: must be a JSON object")
	}
	n, err := compileNode(obj, "")
	if err != nil {
		return nil, fmt.Errorf("event pattern: %w", err)
	}
	return &Pattern{root: n}, nil
}

// MustCompile is Compile for patterns known at build time; it panics on an
// invalid pattern.
func MustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic(err)
	}
	return p
}

// decode reads one JSON value keeping numbers exact enough to compare.
func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return normalize(v), nil
}

// normalize turns json.Number into float64, the only number type matched.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	}
	return v
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func compileNode(obj map[string]any, prefix string) (*node, error) {
	n := &node{}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 && prefix != "" {
		return nil, fmt.Errorf("%s: empty object", prefix)
	}
	for _, k := range keys {
		v := obj[k]
		path := join(prefix, k)
		if k == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, fmt.Errorf("%s: $or must be an array of at least two patterns", path)
			}
			var group []*node
			for i, a := range alts {
				ao, ok := a.(map[string]any)
				if !ok || len(ao) == 0 {
					return nil, fmt.Errorf("%s[%d]: each $or alternative must be a non-empty object", path, i)
				}
				sub, err := compileNode(ao, prefix)
				if err != nil {
					return nil, err
				}
				group = append(group, sub)
			}
			n.ors = append(n.ors, group)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			sub, err := compileNode(x, path)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, sub.fields...)
			n.ors = append(n.ors, sub.ors...)
		case []any:
			if len(x) == 0 {
				return nil, fmt.Errorf("%s: empty array matches nothing", path)
			}
			f := field{path: path}
			for i, e := range x {
				m, err := compileMatcher(e, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				f.matchers = append(f.matchers, m)
			}
			n.fields = append(n.fields, f)
		default:
			return nil, fmt.Errorf("%s: a leaf value must be an array of values or an object, got %s", path, kind(v))
		}
	}
	return n, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

// compileMatcher compiles one element of a leaf array.
func compileMatcher(v any, path string) (matcher, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		switch v.(type) {
		case []any:
			return nil, fmt.Errorf("%s: nested arrays are not allowed", path)
		}
		return exact{v}, nil
	}
	if len(obj) != 1 {
		return nil, fmt.Errorf("%s: a content filter must have exactly one operator", path)
	}
	for op, arg := range obj {
		switch op {
		case "prefix", "suffix":
			return compileAffix(op, arg, path)
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, fmt.Errorf("%s: equals-ignore-case needs a string", path)
			}
			return foldEqual{s}, nil
		case "wildcard":
			s, ok := arg.(string)
			if !ok {
				return nil, fmt.Errorf("%s: wildcard needs a string", path)
			}
			return compileWildcard(s, path)
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, fmt.Errorf("%s: exists needs true or false", path)
			}
			return exists{b}, nil
		case "numeric":
			return compileNumeric(arg, path)
		case "cidr":
			s, ok := arg.(string)
			if !ok {
				return nil, fmt.Errorf("%s: cidr needs a string", path)
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%s: cidr: %v", path, err)
			}
			return cidr{p.Masked()}, nil
		case "anything-but":
			return compileAnythingBut(arg, path)
		default:
			return nil, fmt.Errorf("%s: unknown operator %q", path, op)
		}
	}
	panic("unreachable")
}

func compileAffix(op string, arg any, path string) (matcher, error) {
	a := affix{suffix: op == "suffix"}
	switch x := arg.(type) {
	case string:
		a.s = x
	case map[string]any:
		s, ok := x["equals-ignore-case"].(string)
		if len(x) != 1 || !ok {
			return nil, fmt.Errorf("%s: %s takes a string or {\"equals-ignore-case\": string}", path, op)
		}
		a.s, a.fold = s, true
	default:
		return nil, fmt.Errorf("%s: %s takes a string or {\"equals-ignore-case\": string}", path, op)
	}
	return a, nil
}

func compileWildcard(s, path string) (matcher, error) {
	var parts []string
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
			prevStar = false
		case c == '\\':
			return nil, fmt.Errorf("%s: wildcard: a backslash must escape * or \\", path)
		case c == '*':
			if prevStar {
				return nil, fmt.Errorf("%s: wildcard: consecutive * are not allowed", path)
			}
			parts = append(parts, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	parts = append(parts, cur.String())
	return wildcard{parts}, nil
}

func compileNumeric(arg any, path string) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, fmt.Errorf("%s: numeric takes one or two [operator, number] pairs", path)
	}
	var n numeric
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, fmt.Errorf("%s: numeric: operator %d is not a string", path, i/2+1)
		}
		num, ok := list[i+1].(float64)
		if !ok {
			return nil, fmt.Errorf("%s: numeric: value after %q is not a number", path, op)
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, fmt.Errorf("%s: numeric: unknown operator %q", path, op)
		}
		if op == "=" && len(list) > 2 {
			return nil, fmt.Errorf("%s: numeric: \"=\" cannot be combined with another condition", path)
		}
		n.ops = append(n.ops, numOp{op, num})
	}
	if len(n.ops) == 2 {
		lower := n.ops[0].op == ">" || n.ops[0].op == ">="
		upper := n.ops[1].op == "<" || n.ops[1].op == "<="
		if !lower || !upper {
			return nil, fmt.Errorf("%s: numeric: a range is a lower bound (> or >=) followed by an upper bound (< or <=)", path)
		}
		if n.ops[0].n > n.ops[1].n {
			return nil, fmt.Errorf("%s: numeric: range lower bound %v exceeds upper bound %v", path, n.ops[0].n, n.ops[1].n)
		}
	}
	return n, nil
}

func compileAnythingBut(arg any, path string) (matcher, error) {
	ab := anythingBut{}
	switch x := arg.(type) {
	case string, float64:
		ab.values = []any{x}
	case []any:
		if len(x) == 0 {
			return nil, fmt.Errorf("%s: anything-but: empty list", path)
		}
		for _, e := range x {
			switch e.(type) {
			case string, float64:
			default:
				return nil, fmt.Errorf("%s: anything-but: list elements must be strings or numbers", path)
			}
		}
		ab.values = x
	case map[string]any:
		if len(x) != 1 {
			return nil, fmt.Errorf("%s: anything-but takes one operator", path)
		}
		for op, a := range x {
			switch op {
			case "prefix", "suffix":
				m, err := compileAffix(op, a, path+".anything-but")
				if err != nil {
					return nil, err
				}
				ab.inner = m
			case "equals-ignore-case":
				var list []string
				switch y := a.(type) {
				case string:
					list = []string{y}
				case []any:
					for _, e := range y {
						s, ok := e.(string)
						if !ok {
							return nil, fmt.Errorf("%s: anything-but equals-ignore-case takes strings", path)
						}
						list = append(list, s)
					}
				default:
					return nil, fmt.Errorf("%s: anything-but equals-ignore-case takes a string or a list of strings", path)
				}
				if len(list) == 0 {
					return nil, fmt.Errorf("%s: anything-but equals-ignore-case: empty list", path)
				}
				any := anyOf{}
				for _, s := range list {
					any = append(any, foldEqual{s})
				}
				ab.inner = any
			case "wildcard":
				s, ok := a.(string)
				if !ok {
					return nil, fmt.Errorf("%s: anything-but wildcard takes a string", path)
				}
				m, err := compileWildcard(s, path)
				if err != nil {
					return nil, err
				}
				ab.inner = m
			default:
				return nil, fmt.Errorf("%s: anything-but: unsupported operator %q", path, op)
			}
		}
	default:
		return nil, fmt.Errorf("%s: anything-but takes a value, a list or an operator object", path)
	}
	return ab, nil
}

type exact struct{ v any }

func (m exact) match(v any) bool { return v == m.v }
func (exact) absent() bool       { return false }

type foldEqual struct{ s string }

func (m foldEqual) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, m.s)
}
func (foldEqual) absent() bool { return false }

type affix struct {
	s      string
	suffix bool
	fold   bool
}

func (m affix) match(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < len(m.s) {
		return false
	}
	part := s[:len(m.s)]
	if m.suffix {
		part = s[len(s)-len(m.s):]
	}
	if m.fold {
		return strings.EqualFold(part, m.s)
	}
	return part == m.s
}
func (affix) absent() bool { return false }

type wildcard struct{ parts []string } // literal runs between stars

func (m wildcard) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if len(m.parts) == 1 {
		return s == m.parts[0]
	}
	first, last := m.parts[0], m.parts[len(m.parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, p := range m.parts[1 : len(m.parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}
func (wildcard) absent() bool { return false }

type exists struct{ want bool }

func (m exists) match(any) bool { return m.want }
func (m exists) absent() bool   { return !m.want }

type numOp struct {
	op string
	n  float64
}

type numeric struct{ ops []numOp }

func (m numeric) match(v any) bool {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return false
	}
	for _, o := range m.ops {
		var ok bool
		switch o.op {
		case "=":
			ok = f == o.n
		case "<":
			ok = f < o.n
		case "<=":
			ok = f <= o.n
		case ">":
			ok = f > o.n
		case ">=":
			ok = f >= o.n
		}
		if !ok {
			return false
		}
	}
	return true
}
func (numeric) absent() bool { return false }

type cidr struct{ p netip.Prefix }

func (m cidr) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && m.p.Contains(a.Unmap())
}
func (cidr) absent() bool { return false }

type anyOf []matcher

func (m anyOf) match(v any) bool {
	for _, x := range m {
		if x.match(v) {
			return true
		}
	}
	return false
}
func (anyOf) absent() bool { return false }

// anythingBut matches a present value that is none of values (compared
// exactly, numbers numerically) and not matched by inner.
type anythingBut struct {
	values []any
	inner  matcher
}

func (m anythingBut) match(v any) bool {
	if m.inner != nil {
		if _, ok := v.(string); !ok {
			return false
		}
		return !m.inner.match(v)
	}
	for _, x := range m.values {
		if v == x {
			return false
		}
	}
	return true
}
func (anythingBut) absent() bool { return false }

// Match reports whether event (a JSON object) matches the pattern. An event
// that is not a JSON object matches nothing.
func (p *Pattern) Match(event []byte) bool {
	if p == nil || p.root == nil {
		return false
	}
	v, err := decode(event)
	if err != nil {
		return false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	leaves := map[string][]any{}
	flatten(obj, "", leaves)
	return p.root.match(leaves)
}

// MatchValue is Match for an event already decoded into Go values (as
// encoding/json decodes into any).
func (p *Pattern) MatchValue(event map[string]any) bool {
	b, err := json.Marshal(event)
	if err != nil {
		return false
	}
	return p.Match(b)
}

// flatten collects every leaf value of v by dotted path; arrays contribute
// each element (recursively) to the same path.
func flatten(v any, path string, out map[string][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(e, join(path, k), out)
		}
	case []any:
		for _, e := range x {
			flatten(e, path, out)
		}
	default:
		out[path] = append(out[path], v)
	}
}

func (n *node) match(leaves map[string][]any) bool {
	for _, f := range n.fields {
		if !f.match(leaves[f.path]) {
			return false
		}
	}
	for _, group := range n.ors {
		ok := false
		for _, alt := range group {
			if alt.match(leaves) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f field) match(values []any) bool {
	for _, m := range f.matchers {
		if len(values) == 0 {
			if m.absent() {
				return true
			}
			continue
		}
		for _, v := range values {
			if m.match(v) {
				return true
			}
		}
	}
	return false
}
