package intrinsic

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shipwave/shipwave/shared/states/jsonpath"
)

type argKind uint8

const (
	argLiteral argKind = iota // a JSON value: number, boolean, null
	argString                 // a quoted string literal
	argPath                   // $..., $$... or $var...
	argCall                   // a nested States.X(...) call
)

type arg struct {
	kind  argKind
	value any            // argLiteral: decoded value; argString: unescaped text
	raw   string         // argString: text between the quotes, escapes kept
	path  *jsonpath.Path // argPath
	call  *Call          // argCall
}

type fn uint8

const (
	fnInvalid fn = iota
	fnFormatID
	fnStringToJSONID
	fnJSONToStringID
	fnArrayID
	fnArrayPartitionID
	fnArrayContainsID
	fnArrayRangeID
	fnArrayGetItemID
	fnArrayLengthID
	fnArrayUniqueID
	fnBase64EncodeID
	fnBase64DecodeID
	fnHashID
	fnJSONMergeID
	fnMathRandomID
	fnMathAddID
	fnStringSplitID
	fnUUIDID
)

// functions maps every intrinsic name to its identifier; it is never
// modified.
var functions = map[string]fn{
	"States.Format":         fnFormatID,
	"States.StringToJson":   fnStringToJSONID,
	"States.JsonToString":   fnJSONToStringID,
	"States.Array":          fnArrayID,
	"States.ArrayPartition": fnArrayPartitionID,
	"States.ArrayContains":  fnArrayContainsID,
	"States.ArrayRange":     fnArrayRangeID,
	"States.ArrayGetItem":   fnArrayGetItemID,
	"States.ArrayLength":    fnArrayLengthID,
	"States.ArrayUnique":    fnArrayUniqueID,
	"States.Base64Encode":   fnBase64EncodeID,
	"States.Base64Decode":   fnBase64DecodeID,
	"States.Hash":           fnHashID,
	"States.JsonMerge":      fnJSONMergeID,
	"States.MathRandom":     fnMathRandomID,
	"States.MathAdd":        fnMathAddID,
	"States.StringSplit":    fnStringSplitID,
	"States.UUID":           fnUUIDID,
}

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func parse(expr string) (*Call, error) {
	p := &parser{src: expr}
	p.skipSpace()
	c, err := p.call(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected text after the closing ')' at position %d", p.pos)
	}
	c.src = expr
	return c, nil
}

// maxDepth bounds nesting; AWS documents at most 10 nested calls, and the
// parser must not recurse without limit on hostile input.
const maxDepth = 64

func (p *parser) call(depth int) (*Call, error) {
	if depth > maxDepth {
		return nil, p.errorf("intrinsic functions nested too deeply")
	}
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != '(' && p.src[p.pos] != ' ' && p.src[p.pos] != ',' && p.src[p.pos] != ')' {
		p.pos++
	}
	name := p.src[start:p.pos]
	if !strings.HasPrefix(name, "States.") {
		return nil, p.errorf("expected an intrinsic function name at position %d", start)
	}
	id, ok := functions[name]
	if !ok {
		return nil, p.errorf("unknown intrinsic function %s", name)
	}
	p.skipSpace()
	if p.peek() != '(' {
		return nil, p.errorf("expected '(' after %s", name)
	}
	p.pos++
	c := &Call{name: name, id: id}
	p.skipSpace()
	if p.peek() == ')' {
		p.pos++
		c.src = p.src[start:p.pos]
		return c, nil
	}
	for {
		p.skipSpace()
		a, err := p.arg(depth)
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case ')':
			p.pos++
			c.src = p.src[start:p.pos]
			return c, nil
		case 0:
			return nil, p.errorf("missing ')' at end of %s", name)
		default:
			return nil, p.errorf("unexpected '%c' at position %d in arguments of %s", p.peek(), p.pos, name)
		}
	}
}

func (p *parser) arg(depth int) (arg, error) {
	c := p.peek()
	switch {
	case c == '\'':
		return p.stringLiteral()
	case c == '$':
		return p.pathArg()
	case strings.HasPrefix(p.src[p.pos:], "States."):
		call, err := p.call(depth + 1)
		if err != nil {
			return arg{}, err
		}
		return arg{kind: argCall, call: call}, nil
	case c == 0:
		return arg{}, p.errorf("missing argument at end of expression")
	}
	// A JSON literal: number, true, false or null.
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != ',' && p.src[p.pos] != ')' && p.src[p.pos] != ' ' {
		p.pos++
	}
	text := p.src[start:p.pos]
	switch text {
	case "true":
		return arg{kind: argLiteral, value: true}, nil
	case "false":
		return arg{kind: argLiteral, value: false}, nil
	case "null":
		return arg{kind: argLiteral, value: nil}, nil
	case "":
		return arg{}, p.errorf("empty argument at position %d", start)
	}
	if !validNumber(text) {
		return arg{}, p.errorf("invalid argument '%s' at position %d", text, start)
	}
	return arg{kind: argLiteral, value: json.Number(text)}, nil
}

func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intStart := i
	if digits() == 0 || (s[intStart] == '0' && i-intStart > 1) {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// stringLiteral reads '...'; a backslash escapes the next character.
func (p *parser) stringLiteral() (arg, error) {
	p.pos++ // opening quote
	start := p.pos
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				return arg{}, p.errorf("unterminated string literal")
			}
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case '\'':
			raw := p.src[start:p.pos]
			p.pos++
			return arg{kind: argString, value: b.String(), raw: raw}, nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return arg{}, p.errorf("unterminated string literal")
}

// pathArg reads a path up to the ',' or ')' that ends the argument, skipping
// over brackets, parentheses and quoted names inside the path.
func (p *parser) pathArg() (arg, error) {
	start := p.pos
	depth := 0
	var quote byte
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if quote != 0 {
			if c == '\\' {
				p.pos = min(p.pos+2, len(p.src))
				continue
			}
			if c == quote {
				quote = 0
			}
			p.pos++
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '[', '(':
			depth++
		case ']':
			depth--
		case ')':
			if depth == 0 {
				goto done
			}
			depth--
		case ',':
			if depth == 0 {
				goto done
			}
		}
		p.pos++
	}
done:
	text := strings.TrimRight(p.src[start:p.pos], " \t\r\n")
	path, err := jsonpath.Parse(text)
	if err != nil {
		return arg{}, p.errorf("invalid path argument '%s': %v", text, err)
	}
	return arg{kind: argPath, path: path}, nil
}

func (c *Call) paths(dst []*jsonpath.Path) []*jsonpath.Path {
	for _, a := range c.args {
		switch a.kind {
		case argPath:
			dst = append(dst, a.path)
		case argCall:
			dst = a.call.paths(dst)
		}
	}
	return dst
}
