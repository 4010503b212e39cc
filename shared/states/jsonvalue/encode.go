package jsonvalue

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789ABCDEF"

// Append appends the compact encoding of v to dst. Besides the decoded shapes
// it accepts map[string]any (keys sorted), []string, json.RawMessage, int,
// int64 and float64; anything else is an error.
func Append(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return AppendString(dst, x), nil
	case json.Number:
		if x == "" {
			return append(dst, '0'), nil
		}
		return append(dst, x...), nil
	case *Object:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '{')
		var err error
		for i, k := range x.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			if dst, err = Append(dst, x.vals[i]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		dst = append(dst, '[')
		var err error
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = Append(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, fmt.Errorf("jsonvalue: unsupported number %v", x)
		}
		return append(dst, FormatFloat(x)...), nil
	case []string:
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, s)
		}
		return append(dst, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, '{')
		var err error
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			if dst, err = Append(dst, x[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case json.RawMessage:
		dv, err := Decode(x)
		if err != nil {
			return dst, err
		}
		return Append(dst, dv)
	default:
		return dst, fmt.Errorf("jsonvalue: cannot encode %T", v)
	}
}

// FormatFloat renders f the way Step Functions prints computed numbers:
// integral values without a fraction, others in shortest form.
func FormatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		if math.Abs(f) < 1<<53 {
			return strconv.FormatInt(int64(f), 10)
		}
		return new(big.Float).SetFloat64(f).Text('f', 0)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// AppendString appends s as a JSON string literal: '"' and '\\' escaped,
// control characters as \b \f \n \r \t or \u00XX, everything else (including
// '<', '>', '&', '/' and non-ASCII) written as is. Invalid UTF-8 becomes U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i += n
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// size counts the bytes of v's compact encoding without building it. It
// stops early, returning a value above limit, once limit is passed.
func size(v any, limit int) int {
	switch x := v.(type) {
	case nil:
		return 4
	case bool:
		if x {
			return 4
		}
		return 5
	case string:
		return stringSize(x)
	case json.Number:
		if x == "" {
			return 1
		}
		return len(x)
	case *Object:
		if x == nil {
			return 4
		}
		n := 2
		if len(x.keys) > 1 {
			n += len(x.keys) - 1
		}
		for i, k := range x.keys {
			n += stringSize(k) + 1 + size(x.vals[i], limit-n)
			if n > limit {
				return n
			}
		}
		return n
	case []any:
		n := 2
		if len(x) > 1 {
			n += len(x) - 1
		}
		for _, e := range x {
			n += size(e, limit-n)
			if n > limit {
				return n
			}
		}
		return n
	}
	b, err := Append(nil, v)
	if err != nil {
		return 0
	}
	return len(b)
}

// stringSize is len(AppendString(nil, s)).
func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			n += 3 // U+FFFD
		} else {
			n += w
		}
		i += w
	}
	return n
}

func equal(a, b any, scalars Scalars) bool {
	if scalars != nil && !(isContainer(a) && isContainer(b)) {
		if eq, handled := scalars(a, b); handled {
			return eq
		}
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && NumberEqual(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i], scalars) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.keys {
			yv, ok := y.Get(k)
			if !ok || !equal(x.vals[i], yv, scalars) {
				return false
			}
		}
		return true
	default:
		return false
	}
}

func isContainer(v any) bool {
	switch v.(type) {
	case []any, *Object:
		return true
	}
	return false
}

// NumberEqual reports whether two JSON numbers have the same value.
func NumberEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	return CompareNumbers(a, b) == 0
}

// CompareNumbers compares two JSON numbers exactly, returning -1, 0 or +1.
func CompareNumbers(a, b json.Number) int {
	if x, err := strconv.ParseInt(string(a), 10, 64); err == nil {
		if y, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	fa, _ := strconv.ParseFloat(string(a), 64)
	fb, _ := strconv.ParseFloat(string(b), 64)
	switch {
	case fa < fb:
		return -1
	case fa > fb:
		return 1
	}
	return 0
}
