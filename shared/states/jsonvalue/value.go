package jsonvalue

import (
	"encoding/json"
	"fmt"
	"math"
)

// SyntaxError describes malformed JSON.
type SyntaxError struct {
	Offset int
	Msg    string
}

// Error returns the message with the byte offset.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Decode parses one JSON document into *Object, []any, json.Number, string,
// bool or nil. Trailing non-space bytes are an error.
func Decode(b []byte) (any, error) {
	d := decoder{buf: b}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.buf) {
		return nil, d.errorf("unexpected data after top-level value")
	}
	return v, nil
}

// Marshal encodes v compactly: objects in key order, numbers as written, and
// strings escaped as Step Functions does (no HTML escaping).
func Marshal(v any) ([]byte, error) { return Append(nil, v) }

// Equal reports whether a and b are the same JSON value. Numbers compare by
// numeric value; object member order does not matter.
func Equal(a, b any) bool { return equal(a, b, nil) }

// Scalars compares two values of which at least one is not an array or
// object, for EqualBy. It returns handled false to leave the pair to Equal's
// own rule.
type Scalars func(a, b any) (equal, handled bool)

// EqualBy is Equal with another rule for scalars: arrays and objects are
// walked as Equal walks them (same length, members regardless of order) and
// every other pair is decided by scalars, or by Equal where it does not
// handle the pair. The intrinsics (Java's equals) and JSONata (numbers as
// IEEE doubles, functions by identity) compare values this way.
func EqualBy(a, b any, scalars Scalars) bool { return equal(a, b, scalars) }

// Clone returns a deep copy of v.
func Clone(v any) any {
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return x
		}
		c := &Object{keys: append([]string(nil), x.keys...), vals: make([]any, len(x.vals))}
		for i, e := range x.vals {
			c.vals[i] = Clone(e)
		}
		if x.idx != nil {
			c.idx = make(map[string]int, len(x.idx))
			for k, i := range x.idx {
				c.idx[k] = i
			}
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = Clone(e)
		}
		return c
	default:
		return v
	}
}

// Size returns the length in bytes of v's compact encoding, as used for the
// 256 KiB payload limit. It does not build the encoding.
func Size(v any) int { return size(v, math.MaxInt) }

// Exceeds reports whether v's compact encoding is longer than limit bytes.
// It stops walking v as soon as the answer is known.
func Exceeds(v any, limit int) bool {
	if upperSize(v, limit) <= limit {
		return false
	}
	return size(v, limit) > limit
}

// upperSize bounds Size(v) from above without looking at string contents
// (a byte encodes to at most 6): it walks members, not bytes, so small
// documents are checked in a few steps. It stops once the bound passes
// limit.
func upperSize(v any, limit int) int {
	switch x := v.(type) {
	case nil:
		return 4
	case bool:
		return 5
	case string:
		return 6*len(x) + 2
	case Number:
		return max(len(x), 1)
	case *Object:
		if x == nil {
			return 4
		}
		n := 2 + len(x.keys)
		for i, k := range x.keys {
			n += 6*len(k) + 3 + upperSize(x.vals[i], limit-n)
			if n > limit {
				return n
			}
		}
		return n
	case []any:
		n := 2 + len(x)
		for _, e := range x {
			n += upperSize(e, limit-n)
			if n > limit {
				return n
			}
		}
		return n
	}
	return limit + 1 // unusual types: let size decide
}

// Number is a convenience for json.Number literals.
type Number = json.Number
