package spec

import (
	"errors"
	"fmt"
)

// checkGlob checks the syntax of a branch, tag or path pattern: * matches
// within a path segment, ** any number of whole segments, ? one character,
// [abc], [a-z] and [!a] classes, {a,b} alternatives and \ escapes.
//
// TODO(shared/glob): the triggers work owns the matcher in shared/glob;
// validate with its compiler once it lands so that syntax checks and
// matching can never disagree.
func checkGlob(p string) error {
	if p == "" {
		return errors.New("empty pattern")
	}
	braces := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 >= len(p) {
				return errors.New("trailing backslash escapes nothing")
			}
			i++
		case '[':
			end, err := classEnd(p, i)
			if err != nil {
				return err
			}
			i = end
		case '{':
			braces++
		case '}':
			if braces == 0 {
				return fmt.Errorf("unmatched } at offset %d", i)
			}
			braces--
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				if i+2 < len(p) && p[i+2] == '*' {
					return fmt.Errorf("*** at offset %d; use * within a segment or ** for whole segments", i)
				}
				if (i > 0 && !segmentEdge(p[i-1])) || (i+2 < len(p) && !segmentEdge(p[i+2])) {
					return fmt.Errorf("** at offset %d must be a whole path segment, as in src/**/*.go", i)
				}
				i++
			}
		}
	}
	if braces > 0 {
		return errors.New("unclosed {")
	}
	return nil
}

func segmentEdge(c byte) bool { return c == '/' || c == '{' || c == '}' || c == ',' }

// classEnd returns the index of the ] closing the class opened at p[start].
func classEnd(p string, start int) (int, error) {
	i := start + 1
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		i++
	}
	first := true
	var prev byte
	havePrev := false
	for ; i < len(p); i++ {
		c := p[i]
		switch {
		case c == ']' && !first:
			return i, nil
		case c == '\\':
			if i+1 >= len(p) {
				return 0, errors.New("trailing backslash escapes nothing")
			}
			i++
			c = p[i]
		case c == '-' && havePrev && i+1 < len(p) && p[i+1] != ']':
			hi := p[i+1]
			if hi == '\\' && i+2 < len(p) {
				hi = p[i+2]
				i++
			}
			if hi < prev {
				return 0, fmt.Errorf("range %c-%c at offset %d runs backwards", prev, hi, i-1)
			}
			i++
			havePrev, first = false, false
			continue
		}
		prev, havePrev, first = c, true, false
	}
	return 0, fmt.Errorf("unclosed [ at offset %d", start)
}
