package jsonata

import (
	"regexp"
	"strings"
)

// regex is a regular expression literal's value.
type regex struct {
	re  *regexp.Regexp
	src string
}

type nodeKind uint8

const (
	nLiteral nodeKind = iota
	nName
	nWildcard
	nDescendants
	nVariable
	nPath
	nBinary
	nNegate
	nArray
	nObject
	nBlock
	nCondition
	nBind
	nCall
	nLambda
	nChain
	nFilter // parse-time only: lhs[pred]
	nKeep   // parse-time only: lhs[]
	nDot    // parse-time only: lhs.rhs
)

type node struct {
	kind   nodeKind
	pos    int
	value  any    // nLiteral
	name   string // nName, nVariable, nBind (variable), nBinary (operator)
	lhs    *node
	rhs    *node
	items  []*node    // nArray items, nBlock expressions, nCall arguments, nPath steps
	pairs  [][2]*node // nObject
	stages []*node    // predicates applied to this node's result
	cond   *node
	then   *node
	els    *node
	params []string // nLambda
	keep   bool     // nPath: keep singleton arrays
	cons   bool     // nArray inside a path: not flattened
}

var bindingPower = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 0, ":": 0,
	"?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 20, "=": 40, "<": 40, ">": 40, "^": 40,
	"**": 60, "..": 0, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "and": 30, "or": 25, "in": 40, "&": 50,
}

type parser struct {
	toks []token
	i    int
	src  string
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) lbp(t token) int {
	switch t.kind {
	case tokOp:
		return bindingPower[t.text]
	case tokKeyword:
		if t.text == "and" || t.text == "or" || t.text == "in" {
			return bindingPower[t.text]
		}
	}
	return 0
}

func (p *parser) expect(op string) error {
	t := p.next()
	if t.kind != tokOp || t.text != op {
		if t.kind == tokEOF {
			return errorf("S0203", t.pos, "Expected %q before end of expression", op)
		}
		return errorf("S0202", t.pos, "Expected %q, got %q", op, t.text)
	}
	return nil
}

func (p *parser) is(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == op
}

const maxNesting = 500

func (p *parser) expression(rbp, depth int) (*node, error) {
	if depth > maxNesting {
		return nil, errorf("S0208", p.peek().pos, "Expression nested too deeply")
	}
	t := p.next()
	left, err := p.nud(t, depth)
	if err != nil {
		return nil, err
	}
	for rbp < p.lbp(p.peek()) {
		t = p.next()
		left, err = p.led(t, left, depth)
		if err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) nud(t token, depth int) (*node, error) {
	switch t.kind {
	case tokNumber:
		return &node{kind: nLiteral, value: t.num, pos: t.pos}, nil
	case tokString:
		return &node{kind: nLiteral, value: t.text, pos: t.pos}, nil
	case tokName:
		return &node{kind: nName, name: t.text, pos: t.pos}, nil
	case tokVariable:
		return &node{kind: nVariable, name: t.text, pos: t.pos}, nil
	case tokKeyword:
		switch t.text {
		case "true":
			return &node{kind: nLiteral, value: true, pos: t.pos}, nil
		case "false":
			return &node{kind: nLiteral, value: false, pos: t.pos}, nil
		case "null":
			return &node{kind: nLiteral, value: nil, pos: t.pos}, nil
		case "function":
			return p.lambda(t, depth)
		}
		return &node{kind: nName, name: t.text, pos: t.pos}, nil // "and", "or", "in" as field names
	case tokRegex:
		flags := ""
		for _, f := range t.flags {
			if f == 'i' || f == 'm' || f == 's' {
				flags += string(f)
			}
		}
		pat := t.text
		if flags != "" {
			pat = "(?" + flags + ")" + pat
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, errorf("S0303", t.pos, "The regular expression is not supported: %v", err)
		}
		return &node{kind: nLiteral, value: &regex{re: re, src: t.text}, pos: t.pos}, nil
	case tokEOF:
		return nil, errorf("S0207", t.pos, "Unexpected end of expression")
	}
	switch t.text {
	case "-":
		operand, err := p.expression(70, depth+1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nNegate, lhs: operand, pos: t.pos}, nil
	case "*":
		return &node{kind: nWildcard, pos: t.pos}, nil
	case "**":
		return &node{kind: nDescendants, pos: t.pos}, nil
	case "(":
		n := &node{kind: nBlock, pos: t.pos}
		for !p.is(")") {
			e, err := p.expression(0, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, e)
			if !p.is(";") {
				break
			}
			p.next()
		}
		return n, p.expect(")")
	case "[":
		n := &node{kind: nArray, pos: t.pos}
		for !p.is("]") {
			e, err := p.expression(0, depth+1)
			if err != nil {
				return nil, err
			}
			if p.is("..") {
				rt := p.next()
				rhs, err := p.expression(0, depth+1)
				if err != nil {
					return nil, err
				}
				e = &node{kind: nBinary, name: "..", lhs: e, rhs: rhs, pos: rt.pos}
			}
			n.items = append(n.items, e)
			if !p.is(",") {
				break
			}
			p.next()
		}
		return n, p.expect("]")
	case "{":
		n := &node{kind: nObject, pos: t.pos}
		for !p.is("}") {
			k, err := p.expression(0, depth+1)
			if err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			v, err := p.expression(0, depth+1)
			if err != nil {
				return nil, err
			}
			n.pairs = append(n.pairs, [2]*node{k, v})
			if !p.is(",") {
				break
			}
			p.next()
		}
		return n, p.expect("}")
	}
	return nil, errorf("S0211", t.pos, "The symbol %q cannot be used as a unary operator", t.text)
}

func (p *parser) lambda(t token, depth int) (*node, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	n := &node{kind: nLambda, pos: t.pos}
	for !p.is(")") {
		v := p.next()
		if v.kind != tokVariable {
			return nil, errorf("S0208", v.pos, "Parameter %s of function definition must be a variable name (start with $)", v.text)
		}
		n.params = append(n.params, v.text)
		if !p.is(",") {
			break
		}
		p.next()
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if p.is("<") { // a signature: skipped
		for !p.is(">") && p.peek().kind != tokEOF {
			p.next()
		}
		if err := p.expect(">"); err != nil {
			return nil, err
		}
	}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	body, err := p.expression(0, depth+1)
	if err != nil {
		return nil, err
	}
	n.lhs = body
	return n, p.expect("}")
}

func (p *parser) led(t token, left *node, depth int) (*node, error) {
	op := t.text
	switch op {
	case ".":
		rhs, err := p.expression(75, depth+1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nDot, lhs: left, rhs: rhs, pos: t.pos}, nil
	case "[":
		if p.is("]") {
			p.next()
			return &node{kind: nKeep, lhs: left, pos: t.pos}, nil
		}
		pred, err := p.expression(0, depth+1)
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		return &node{kind: nFilter, lhs: left, rhs: pred, pos: t.pos}, nil
	case "(":
		n := &node{kind: nCall, lhs: left, pos: t.pos}
		for !p.is(")") {
			e, err := p.expression(0, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, e)
			if !p.is(",") {
				break
			}
			p.next()
		}
		return n, p.expect(")")
	case "?":
		then, err := p.expression(0, depth+1)
		if err != nil {
			return nil, err
		}
		n := &node{kind: nCondition, cond: left, then: then, pos: t.pos}
		if p.is(":") {
			p.next()
			if n.els, err = p.expression(0, depth+1); err != nil {
				return nil, err
			}
		}
		return n, nil
	case ":=":
		if left.kind != nVariable {
			return nil, errorf("S0212", t.pos, "The left side of := must be a variable name (start with $)")
		}
		rhs, err := p.expression(9, depth+1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nBind, name: left.name, rhs: rhs, pos: t.pos}, nil
	case "~>":
		rhs, err := p.expression(40, depth+1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nChain, lhs: left, rhs: rhs, pos: t.pos}, nil
	case "{", "^", "@", "#", "|":
		return nil, errorf("S0201", t.pos, "The operator %s is not supported by this engine", op)
	}
	rhs, err := p.expression(p.lbp(t), depth+1)
	if err != nil {
		return nil, err
	}
	return &node{kind: nBinary, name: op, lhs: left, rhs: rhs, pos: t.pos}, nil
}

// resolve turns the parse tree into the evaluation tree: dots become paths,
// predicates become stages and bare names become one-step paths.
func resolve(n *node) (*node, error) {
	if n == nil {
		return nil, nil
	}
	var err error
	switch n.kind {
	case nDot:
		l, err := resolve(n.lhs)
		if err != nil {
			return nil, err
		}
		r, err := resolve(n.rhs)
		if err != nil {
			return nil, err
		}
		path := &node{kind: nPath, pos: n.pos}
		if l.kind == nPath {
			path.items = append(path.items, l.items...)
			path.keep = l.keep
		} else {
			path.items = append(path.items, l)
		}
		if r.kind == nPath {
			path.items = append(path.items, r.items...)
			path.keep = path.keep || r.keep
		} else {
			if r.kind == nLiteral {
				if s, ok := r.value.(string); ok {
					r = &node{kind: nName, name: s, pos: r.pos}
				} else {
					return nil, errorf("S0213", r.pos, "The literal value %v cannot be used as a step within a path expression", r.value)
				}
			}
			if r.kind == nArray {
				r.cons = true
			}
			path.items = append(path.items, r)
		}
		return path, nil
	case nName:
		return &node{kind: nPath, items: []*node{n}, pos: n.pos}, nil
	case nFilter:
		l, err := resolve(n.lhs)
		if err != nil {
			return nil, err
		}
		pred, err := resolve(n.rhs)
		if err != nil {
			return nil, err
		}
		target := l
		if l.kind == nPath {
			target = l.items[len(l.items)-1]
		}
		target.stages = append(target.stages, pred)
		return l, nil
	case nKeep:
		l, err := resolve(n.lhs)
		if err != nil {
			return nil, err
		}
		if l.kind != nPath {
			l = &node{kind: nPath, items: []*node{l}, pos: l.pos}
		}
		l.keep = true
		return l, nil
	}
	if n.lhs, err = resolve(n.lhs); err != nil {
		return nil, err
	}
	if n.rhs, err = resolve(n.rhs); err != nil {
		return nil, err
	}
	for _, f := range []**node{&n.cond, &n.then, &n.els} {
		if *f, err = resolve(*f); err != nil {
			return nil, err
		}
	}
	for i := range n.items {
		if n.items[i], err = resolve(n.items[i]); err != nil {
			return nil, err
		}
	}
	for i := range n.pairs {
		for j := 0; j < 2; j++ {
			if n.pairs[i][j], err = resolve(n.pairs[i][j]); err != nil {
				return nil, err
			}
		}
	}
	return n, nil
}

// Expr is a compiled JSONata expression. It is safe for concurrent use.
type Expr struct {
	src  string
	root *node
}

// Compile parses a JSONata expression.
func Compile(src string) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: src}
	if p.peek().kind == tokEOF {
		return nil, errorf("S0207", 0, "Unexpected end of expression")
	}
	n, err := p.expression(0, 0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, errorf("S0201", t.pos, "Syntax error: %q", t.text)
	}
	root, err := resolve(n)
	if err != nil {
		return nil, err
	}
	return &Expr{src: strings.TrimSpace(src), root: root}, nil
}

// String returns the expression as written.
func (e *Expr) String() string { return e.src }

// TopLevelReferences returns, in order of appearance and without repeats,
// the field names the expression reads from the context item at its top
// level (such as "phone" in "phone & 'x'"). Step Functions evaluates with no
// context item, so it refuses such expressions.
func (e *Expr) TopLevelReferences() []string {
	var names []string
	seen := map[string]bool{}
	var walk func(n *node, top bool)
	walk = func(n *node, top bool) {
		if n == nil {
			return
		}
		if n.kind == nName && top && !seen[n.name] {
			seen[n.name] = true
			names = append(names, n.name)
		}
		for _, st := range n.stages {
			walk(st, false)
		}
		if n.kind == nPath {
			for i, st := range n.items {
				walk(st, top && i == 0)
			}
			return
		}
		walk(n.lhs, top)
		walk(n.rhs, top)
		walk(n.cond, top)
		walk(n.then, top)
		walk(n.els, top)
		for _, it := range n.items {
			walk(it, top)
		}
		for _, pr := range n.pairs {
			walk(pr[0], top)
			walk(pr[1], top)
		}
	}
	walk(e.root, true)
	return names
}
