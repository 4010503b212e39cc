package jsonpath

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

type stepKind uint8

const (
	stepField    stepKind = iota // ['name']
	stepIndex                    // [n]
	stepWildcard                 // [*] or .*
	stepSlice                    // [from:to]
	stepIndexes                  // [a,b,c]
	stepFields                   // ['a','b']
	stepFilter                   // [?(...)]
	stepScan                     // .. (applies the next step at every node)
	stepLength                   // .length()
)

type step struct {
	kind    stepKind
	name    string
	index   int
	names   []string
	indexes []int
	from    int
	to      int
	hasFrom bool
	hasTo   bool
	filter  expr
	frag    string // Jayway's normalized fragment, such as "['a']" or "[0]"
}

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Path: p.src, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdent(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func parse(expr string) (*Path, error) {
	p := &parser{src: expr}
	path := &Path{src: expr, definite: true}
	if !strings.HasPrefix(expr, "$") {
		return nil, p.errorf("a path must start with '$'")
	}
	switch {
	case strings.HasPrefix(expr, "$$"):
		path.root = "$$"
		p.pos = 2
	case len(expr) > 1 && isIdentStart(expr[1]):
		p.pos = 1
		for p.pos < len(expr) && isIdent(expr[p.pos]) {
			p.pos++
		}
		path.root = expr[1:p.pos]
	default:
		path.root = "$"
		p.pos = 1
	}
	steps, err := p.steps(false)
	if err != nil {
		return nil, err
	}
	path.steps = steps
	path.definite = definite(steps)
	return path, nil
}

// definite reports whether steps select at most one value. As in Jayway, a
// multi-property step is definite at the end of a path, where it merges the
// properties into one object.
func definite(steps []step) bool {
	for i, s := range steps {
		switch s.kind {
		case stepField, stepIndex, stepLength:
		case stepFields:
			if i != len(steps)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// steps parses the steps after a root. In a filter (inFilter) it stops at
// the first character that cannot continue a path.
func (p *parser) steps(inFilter bool) ([]step, error) {
	var steps []step
	for !p.eof() {
		c := p.peek()
		switch {
		case c == '.':
			if strings.HasPrefix(p.src[p.pos:], "..") {
				p.pos += 2
				steps = append(steps, step{kind: stepScan, frag: ".."})
				if p.peek() == '[' {
					continue
				}
				s, err := p.dotStep(inFilter)
				if err != nil {
					return nil, err
				}
				steps = append(steps, s)
				continue
			}
			p.pos++
			if p.peek() == '[' {
				// As in Jayway, a dot before a bracket is allowed:
				// $.[?(@.a)] and $.['a'] are $[?(@.a)] and $['a'].
				continue
			}
			s, err := p.dotStep(inFilter)
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
		case c == '[':
			s, err := p.bracketStep()
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
		case inFilter:
			return steps, nil
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			// Jayway ignores trailing whitespace.
			p.skipSpace()
			if !p.eof() {
				return nil, p.errorf("unexpected whitespace in path")
			}
		default:
			return nil, p.errorf("unexpected character '%c' at position %d", c, p.pos)
		}
		if n := len(steps); n > 0 && steps[n-1].kind == stepLength && !p.eof() && !inFilter {
			return nil, p.errorf("a function such as length() must be the last step of a path")
		}
	}
	if n := len(steps); n > 0 && steps[n-1].kind == stepScan {
		return nil, p.errorf("path must not end with '..'")
	}
	return steps, nil
}

func (p *parser) dotStep(inFilter bool) (step, error) {
	if p.peek() == '*' {
		p.pos++
		return step{kind: stepWildcard, frag: "[*]"}, nil
	}
	start := p.pos
	for !p.eof() {
		c := p.peek()
		if c == '.' || c == '[' || c == '(' {
			break
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || (inFilter && (c == ')' || c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|' || c == ',' || c == ']')) {
			break
		}
		p.pos++
	}
	name := p.src[start:p.pos]
	if name == "" {
		return step{}, p.errorf("empty property name at position %d", start)
	}
	if p.peek() == '(' {
		if !strings.HasPrefix(p.src[p.pos:], "()") {
			return step{}, p.errorf("functions take no arguments")
		}
		p.pos += 2
		switch name {
		case "length", "size", "min", "max", "avg", "stddev", "sum", "first", "last", "keys":
			return step{kind: stepLength, name: name, frag: "." + name + "()"}, nil
		}
		return step{}, p.errorf("unsupported function %s()", name)
	}
	return step{kind: stepField, name: name, frag: "['" + name + "']"}, nil
}

func (p *parser) bracketStep() (step, error) {
	p.pos++ // [
	p.skipSpace()
	if p.eof() {
		return step{}, p.errorf("unterminated '['")
	}
	c := p.peek()
	switch {
	case c == '*':
		p.pos++
		p.skipSpace()
		if err := p.expect(']'); err != nil {
			return step{}, err
		}
		return step{kind: stepWildcard, frag: "[*]"}, nil
	case c == '?':
		p.pos++
		p.skipSpace()
		if err := p.expect('('); err != nil {
			return step{}, err
		}
		e, err := p.filterOr()
		if err != nil {
			return step{}, err
		}
		p.skipSpace()
		if err := p.expect(')'); err != nil {
			return step{}, err
		}
		p.skipSpace()
		if err := p.expect(']'); err != nil {
			return step{}, err
		}
		return step{kind: stepFilter, filter: e, frag: "[?]"}, nil
	case c == '\'' || c == '"':
		var names []string
		for {
			p.skipSpace()
			s, err := p.quoted()
			if err != nil {
				return step{}, err
			}
			names = append(names, s)
			p.skipSpace()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			break
		}
		if err := p.expect(']'); err != nil {
			return step{}, err
		}
		if len(names) == 1 {
			return step{kind: stepField, name: names[0], frag: "['" + names[0] + "']"}, nil
		}
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = "'" + n + "'"
		}
		return step{kind: stepFields, names: names, frag: "[" + strings.Join(q, ",") + "]"}, nil
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		return p.indexStep()
	default:
		return step{}, p.errorf("unexpected character '%c' after '['", c)
	}
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		if p.eof() {
			return p.errorf("expected '%c' at end of path", c)
		}
		return p.errorf("expected '%c' at position %d, found '%c'", c, p.pos, p.peek())
	}
	p.pos++
	return nil
}

func (p *parser) integer() (int, bool, error) {
	p.skipSpace()
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	for !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
		p.pos++
	}
	if p.pos == start {
		return 0, false, nil
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil || n > 1<<31-1 || n < -1<<31 {
		return 0, false, p.errorf("invalid array index '%s'", p.src[start:p.pos])
	}
	p.skipSpace()
	return n, true, nil
}

func (p *parser) indexStep() (step, error) {
	first, ok, err := p.integer()
	if err != nil {
		return step{}, err
	}
	if p.peek() == ':' {
		p.pos++
		s := step{kind: stepSlice, from: first, hasFrom: ok}
		to, okTo, err := p.integer()
		if err != nil {
			return step{}, err
		}
		s.to, s.hasTo = to, okTo
		if p.peek() == ':' { // Jayway has no step; accept "[a:b:1]" is not supported.
			return step{}, p.errorf("slice steps are not supported")
		}
		if err := p.expect(']'); err != nil {
			return step{}, err
		}
		if !s.hasFrom && !s.hasTo {
			return step{}, p.errorf("slice needs a start or an end")
		}
		s.frag = "["
		if s.hasFrom {
			s.frag += strconv.Itoa(s.from)
		}
		s.frag += ":"
		if s.hasTo {
			s.frag += strconv.Itoa(s.to)
		}
		s.frag += "]"
		return s, nil
	}
	if !ok {
		return step{}, p.errorf("expected an array index")
	}
	idx := []int{first}
	for p.peek() == ',' {
		p.pos++
		n, ok, err := p.integer()
		if err != nil {
			return step{}, err
		}
		if !ok {
			return step{}, p.errorf("expected an array index after ','")
		}
		idx = append(idx, n)
	}
	if err := p.expect(']'); err != nil {
		return step{}, err
	}
	if len(idx) == 1 {
		return step{kind: stepIndex, index: first, frag: "[" + strconv.Itoa(first) + "]"}, nil
	}
	parts := make([]string, len(idx))
	for i, n := range idx {
		parts[i] = strconv.Itoa(n)
	}
	return step{kind: stepIndexes, indexes: idx, frag: "[" + strings.Join(parts, ",") + "]"}, nil
}

// quoted reads a '...' or "..." literal; a backslash escapes the next character.
func (p *parser) quoted() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("expected a quoted name")
	}
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			p.pos++
			b.WriteByte(p.src[p.pos])
			p.pos++
		case c == q:
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errorf("unterminated quoted name")
}

// filter expressions

type exprKind uint8

const (
	exprOr exprKind = iota
	exprAnd
	exprNot
	exprCompare
	exprExists
	exprLiteral
	exprPath
)

type expr struct {
	kind     exprKind
	op       string
	left     *expr
	right    *expr
	value    any    // literal
	relative bool   // path starts at '@'
	path     *Path  // path (root "$" or "@" relative)
	regex    *regex // for =~
}

func (p *parser) filterOr() (expr, error) {
	left, err := p.filterAnd()
	if err != nil {
		return expr{}, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			return left, nil
		}
		p.pos += 2
		right, err := p.filterAnd()
		if err != nil {
			return expr{}, err
		}
		l, r := left, right
		left = expr{kind: exprOr, left: &l, right: &r}
	}
}

func (p *parser) filterAnd() (expr, error) {
	left, err := p.filterUnary()
	if err != nil {
		return expr{}, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			return left, nil
		}
		p.pos += 2
		right, err := p.filterUnary()
		if err != nil {
			return expr{}, err
		}
		l, r := left, right
		left = expr{kind: exprAnd, left: &l, right: &r}
	}
}

func (p *parser) filterUnary() (expr, error) {
	p.skipSpace()
	if p.peek() == '!' && !strings.HasPrefix(p.src[p.pos:], "!=") {
		p.pos++
		e, err := p.filterUnary()
		if err != nil {
			return expr{}, err
		}
		return expr{kind: exprNot, left: &e}, nil
	}
	if p.peek() == '(' {
		p.pos++
		e, err := p.filterOr()
		if err != nil {
			return expr{}, err
		}
		p.skipSpace()
		if err := p.expect(')'); err != nil {
			return expr{}, err
		}
		return e, nil
	}
	left, err := p.operand()
	if err != nil {
		return expr{}, err
	}
	p.skipSpace()
	op := ""
	for _, o := range []string{"==", "!=", "<=", ">=", "=~", "<", ">", " in ", " nin ", " subsetof ", " anyof ", " noneof ", " size ", " empty "} {
		t := strings.TrimSpace(o)
		if strings.HasPrefix(p.src[p.pos:], t) {
			if o != t { // word operators need a following space or '['
				rest := p.src[p.pos+len(t):]
				if rest == "" || (rest[0] != ' ' && rest[0] != '[' && rest[0] != '\'' && rest[0] != '@' && rest[0] != '$') {
					continue
				}
			}
			op = t
			p.pos += len(t)
			break
		}
	}
	if op == "" {
		if left.kind != exprPath {
			return expr{}, p.errorf("expected a comparison operator at position %d", p.pos)
		}
		return expr{kind: exprExists, left: &left}, nil
	}
	p.skipSpace()
	var right expr
	if op == "=~" {
		re, err := p.regexLiteral()
		if err != nil {
			return expr{}, err
		}
		return expr{kind: exprCompare, op: op, left: &left, regex: re}, nil
	}
	right, err = p.operand()
	if err != nil {
		return expr{}, err
	}
	return expr{kind: exprCompare, op: op, left: &left, right: &right}, nil
}

func (p *parser) operand() (expr, error) {
	p.skipSpace()
	if p.eof() {
		return expr{}, p.errorf("unexpected end of filter")
	}
	c := p.peek()
	switch {
	case c == '@' || c == '$':
		rel := c == '@'
		p.pos++
		steps, err := p.steps(true)
		if err != nil {
			return expr{}, err
		}
		sub := &Path{src: "", root: "$", steps: steps, definite: definite(steps)}
		return expr{kind: exprPath, relative: rel, path: sub}, nil
	case c == '\'' || c == '"':
		s, err := p.quoted()
		if err != nil {
			return expr{}, err
		}
		return expr{kind: exprLiteral, value: s}, nil
	case c == '[':
		return p.arrayLiteral()
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		if c == '-' {
			p.pos++
		}
		for !p.eof() && (isDigit(p.peek()) || p.peek() == '.' || p.peek() == 'e' || p.peek() == 'E' || p.peek() == '+' || p.peek() == '-') {
			p.pos++
		}
		n := json.Number(p.src[start:p.pos])
		if _, err := n.Float64(); err != nil {
			return expr{}, p.errorf("invalid number '%s' in filter", p.src[start:p.pos])
		}
		return expr{kind: exprLiteral, value: n}, nil
	}
	for word, v := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(p.src[p.pos:], word) {
			p.pos += len(word)
			return expr{kind: exprLiteral, value: v}, nil
		}
	}
	return expr{}, p.errorf("unexpected character '%c' in filter", c)
}

func (p *parser) arrayLiteral() (expr, error) {
	p.pos++ // [
	var out []any
	for {
		p.skipSpace()
		if p.peek() == ']' {
			p.pos++
			return expr{kind: exprLiteral, value: out}, nil
		}
		e, err := p.operand()
		if err != nil {
			return expr{}, err
		}
		if e.kind != exprLiteral {
			return expr{}, p.errorf("array literals in filters may only hold literals")
		}
		out = append(out, e.value)
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if p.peek() != ']' {
			return expr{}, p.errorf("expected ',' or ']' in array literal")
		}
	}
}

type regex struct{ re *regexp.Regexp }

// regexLiteral reads /pattern/flags; Jayway matches the whole string.
func (p *parser) regexLiteral() (*regex, error) {
	if p.peek() != '/' {
		return nil, p.errorf("expected a /regex/ after '=~'")
	}
	p.pos++
	var b strings.Builder
	closed := false
	for !p.eof() {
		c := p.src[p.pos]
		if c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/' {
			b.WriteByte('/')
			p.pos += 2
			continue
		}
		if c == '/' {
			p.pos++
			closed = true
			break
		}
		b.WriteByte(c)
		p.pos++
	}
	if !closed {
		return nil, p.errorf("unterminated regular expression")
	}
	flags := ""
	for !p.eof() && strings.IndexByte("imsx", p.peek()) >= 0 {
		if p.peek() != 'x' {
			flags += string(p.peek())
		}
		p.pos++
	}
	pat := "^(?:" + b.String() + ")$"
	if flags != "" {
		pat = "(?" + flags + ")" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, p.errorf("invalid regular expression: %v", err)
	}
	return &regex{re: re}, nil
}
