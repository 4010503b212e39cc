package jsonvalue

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 10000

type decoder struct {
	buf []byte
	pos int
	// keys and vals are scratch stacks shared by every container being
	// decoded; a finished container copies its members out in one allocation.
	keys []string
	vals []any
}

func (d *decoder) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("nesting deeper than %d", maxDepth)
	}
	if d.pos >= len(d.buf) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.buf[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("unexpected character %q", c)
	}
}

func (d *decoder) literal(word string) error {
	if len(d.buf)-d.pos < len(word) || string(d.buf[d.pos:d.pos+len(word)]) != word {
		return d.errorf("invalid literal, want %s", word)
	}
	d.pos += len(word)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	d.pos++ // {
	d.skipSpace()
	if d.pos < len(d.buf) && d.buf[d.pos] == '}' {
		d.pos++
		return &Object{}, nil
	}
	kbase, vbase := len(d.keys), len(d.vals)
	dup := false
	for {
		d.skipSpace()
		if d.pos >= len(d.buf) || d.buf[d.pos] != '"' {
			return nil, d.errorf("expected string for object key")
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.buf) || d.buf[d.pos] != ':' {
			return nil, d.errorf("expected ':' after object key")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if !dup {
			for _, k := range d.keys[kbase:] {
				if k == key {
					dup = true
					break
				}
			}
		}
		d.keys = append(d.keys, key)
		d.vals = append(d.vals, v)
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return nil, d.errorf("unexpected end of input in object")
		}
		switch d.buf[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return d.finishObject(kbase, vbase, dup), nil
		default:
			return nil, d.errorf("expected ',' or '}' in object")
		}
	}
}

// finishObject moves the members above kbase/vbase off the scratch stacks
// into a new object. With duplicate keys the last value wins at the first
// position.
func (d *decoder) finishObject(kbase, vbase int, dup bool) *Object {
	n := len(d.keys) - kbase
	var obj *Object
	if dup {
		obj = NewObject(n)
		for i := 0; i < n; i++ {
			obj.Set(d.keys[kbase+i], d.vals[vbase+i])
		}
	} else {
		obj = &Object{keys: make([]string, n), vals: make([]any, n)}
		copy(obj.keys, d.keys[kbase:])
		copy(obj.vals, d.vals[vbase:])
		if n > indexThreshold {
			obj.idx = make(map[string]int, n)
			for i, k := range obj.keys {
				obj.idx[k] = i
			}
		}
	}
	clear(d.keys[kbase:])
	clear(d.vals[vbase:])
	d.keys = d.keys[:kbase]
	d.vals = d.vals[:vbase]
	return obj
}

func (d *decoder) array(depth int) (any, error) {
	d.pos++ // [
	d.skipSpace()
	if d.pos < len(d.buf) && d.buf[d.pos] == ']' {
		d.pos++
		return []any{}, nil
	}
	base := len(d.vals)
	for {
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.vals = append(d.vals, v)
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return nil, d.errorf("unexpected end of input in array")
		}
		switch d.buf[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			arr := make([]any, len(d.vals)-base)
			copy(arr, d.vals[base:])
			clear(d.vals[base:])
			d.vals = d.vals[:base]
			return arr, nil
		default:
			return nil, d.errorf("expected ',' or ']' in array")
		}
	}
}

func (d *decoder) number() (any, error) {
	start := d.pos
	if d.buf[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.buf) && d.buf[d.pos] >= '0' && d.buf[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.buf) && d.buf[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.errorf("invalid number")
	}
	if d.pos < len(d.buf) && d.buf[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.errorf("invalid number: digits expected after '.'")
		}
	}
	if d.pos < len(d.buf) && (d.buf[d.pos] == 'e' || d.buf[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.buf) && (d.buf[d.pos] == '+' || d.buf[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.errorf("invalid number: digits expected in exponent")
		}
	}
	return json.Number(d.buf[start:d.pos]), nil
}

func (d *decoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if c == '"' {
			s := string(d.buf[start:d.pos])
			d.pos++
			return s, nil
		}
		if c == '\\' || c >= utf8.RuneSelf {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character in string")
		}
		d.pos++
	}
	out := append([]byte(nil), d.buf[start:d.pos]...)
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(out), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.buf[d.pos:])
			if r == utf8.RuneError && n == 1 {
				out = append(out, "\uFFFD"...)
			} else {
				out = append(out, d.buf[d.pos:d.pos+n]...)
			}
			d.pos += n
			continue
		case c != '\\':
			out = append(out, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.buf) {
			break
		}
		e := d.buf[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+1 < len(d.buf) && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					if x, ok := d.hex4(); ok {
						r2 = x
					} else {
						d.pos = save
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						continue
					}
					d.pos = save
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", d.errorf("invalid escape '\\%c'", e)
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.buf)-d.pos < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.buf[d.pos:d.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.pos += 4
	return rune(n), true
}
