package jsonata

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokNumber
	tokString
	tokName     // field name (plain or `quoted`)
	tokVariable // $name, $ or $$
	tokOp       // punctuation and operators
	tokKeyword  // and, or, in, true, false, null, function
	tokRegex    // /pattern/flags
)

type token struct {
	kind  tokKind
	text  string  // operator, name or keyword text; decoded string value
	num   float64 // tokNumber
	flags string  // tokRegex
	pos   int
}

// regexAllowed reports whether a '/' after toks starts a regular
// expression rather than a division.
func regexAllowed(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	t := toks[len(toks)-1]
	switch t.kind {
	case tokOp:
		return t.text != ")" && t.text != "]" && t.text != "}"
	case tokKeyword:
		return t.text == "and" || t.text == "or" || t.text == "in"
	}
	return false
}

// Error is a JSONata compile or evaluation error; Code is JSONata's error
// code, such as "T2001".
type Error struct {
	Code     string
	Message  string
	Position int
}

// Error returns "Code: Message", or the message alone for the uncoded
// failures (resource limits) Step Functions reports without a code.
func (e *Error) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

func errorf(code string, pos int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Position: pos}
}

var operators = []string{"..", ":=", "!=", "<=", ">=", "~>", "**", ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "&", "!", "~"}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, errorf("S0106", i, "Comment has no closing tag")
			}
			i += end + 4
			continue
		case c == '/' && regexAllowed(toks):
			end := i + 1
			for end < len(src) && src[end] != '/' {
				if src[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(src) {
				return nil, errorf("S0302", i, "No terminating / in regular expression")
			}
			pattern := src[i+1 : end]
			j := end + 1
			for j < len(src) && strings.IndexByte("gimsx", src[j]) >= 0 {
				j++
			}
			if pattern == "" {
				return nil, errorf("S0301", i, "Empty regular expressions are not allowed")
			}
			toks = append(toks, token{kind: tokRegex, text: pattern, flags: src[end+1 : j], pos: i})
			i = j
			continue
		case c == '"' || c == '\'':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: s, pos: i})
			i = n
			continue
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && src[j+1] >= '0' && src[j+1] <= '9' {
				j++
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					j = k
				}
			}
			f, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, errorf("S0102", i, "Number out of range: %s", src[i:j])
			}
			toks = append(toks, token{kind: tokNumber, num: f, text: src[i:j], pos: i})
			i = j
			continue
		case c == '`':
			end := strings.IndexByte(src[i+1:], '`')
			if end < 0 {
				return nil, errorf("S0105", i, "Quoted property name must be terminated with a backquote (`) character")
			}
			toks = append(toks, token{kind: tokName, text: src[i+1 : i+1+end], pos: i})
			i += end + 2
			continue
		case c == '$':
			j := i + 1
			if j < len(src) && src[j] == '$' {
				toks = append(toks, token{kind: tokVariable, text: "$", pos: i})
				i = j + 1
				continue
			}
			for j < len(src) && isNameByte(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tokVariable, text: src[i+1 : j], pos: i})
			i = j
			continue
		}
		matched := false
		for _, op := range operators {
			if strings.HasPrefix(src[i:], op) {
				toks = append(toks, token{kind: tokOp, text: op, pos: i})
				i += len(op)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if !isNameByte(c) {
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, errorf("S0204", i, "Unknown operator: %q", r)
		}
		j := i
		for j < len(src) && isNameByte(src[j]) {
			j++
		}
		word := src[i:j]
		kind := tokName
		switch word {
		case "and", "or", "in", "true", "false", "null", "function":
			kind = tokKeyword
		}
		toks = append(toks, token{kind: kind, text: word, pos: i})
		i = j
	}
	toks = append(toks, token{kind: tokEOF, pos: len(src)})
	return toks, nil
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func lexString(src string, start int) (string, int, error) {
	q := src[start]
	var b strings.Builder
	i := start + 1
	for i < len(src) {
		c := src[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\':
			if i+1 >= len(src) {
				return "", 0, errorf("S0101", start, "String literal must be terminated by a matching quote")
			}
			e := src[i+1]
			switch e {
			case '"', '\\', '/', '\'':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if i+6 > len(src) {
					return "", 0, errorf("S0104", i, "The escape sequence \\u must be followed by 4 hex digits")
				}
				n, err := strconv.ParseUint(src[i+2:i+6], 16, 32)
				if err != nil {
					return "", 0, errorf("S0104", i, "The escape sequence \\u must be followed by 4 hex digits")
				}
				b.WriteRune(rune(n))
				i += 4
			default:
				return "", 0, errorf("S0103", i, "Unsupported escape sequence: \\%c", e)
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, errorf("S0101", start, "String literal must be terminated by a matching quote")
}
