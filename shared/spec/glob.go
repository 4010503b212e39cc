package spec

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// checkGlob checks the syntax of a branch, tag or path pattern: * matches
// within a path segment, ** across segments, ? one character,
// [abc], [a-z] and [!a] classes, {a,b} alternatives and \ escapes.
//
// TODO(shared/glob): the triggers work owns the matcher in shared/glob;
// validate with glob.Compile once that merges, so that syntax checks and
// matching can never disagree. Until then this accepts exactly what
// glob.Compile accepted when written (checked differentially).
func checkGlob(p string) error {
	const maxGlob = 1024
	if p == "" {
		return errors.New("empty pattern")
	}
	if len(p) > maxGlob {
		return fmt.Errorf("longer than %d bytes", maxGlob)
	}
	if !utf8.ValidString(p) {
		return errors.New("invalid UTF-8")
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
		}
	}
	if braces > 0 {
		return errors.New("unclosed {")
	}
	return nil
}

// classEnd returns the index of the ] closing the class opened at p[start].
// Ranges compare runes, so [é-z] is checked as written.
func classEnd(p string, start int) (int, error) {
	i := start + 1
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		i++
	}
	readRune := func() (rune, error) {
		if i >= len(p) {
			return 0, fmt.Errorf("unclosed [ at offset %d", start)
		}
		if p[i] == '\\' {
			i++
			if i >= len(p) {
				return 0, fmt.Errorf("unclosed [ at offset %d", start)
			}
		}
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		return r, nil
	}
	for first := true; ; first = false {
		if i >= len(p) {
			return 0, fmt.Errorf("unclosed [ at offset %d", start)
		}
		if p[i] == ']' {
			if first {
				return 0, fmt.Errorf("empty character class at offset %d", start)
			}
			return i, nil
		}
		lo, err := readRune()
		if err != nil {
			return 0, err
		}
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			at := i
			i++
			hi, err := readRune()
			if err != nil {
				return 0, err
			}
			if hi < lo {
				return 0, fmt.Errorf("range %q-%q at offset %d runs backwards", lo, hi, at)
			}
		}
	}
}
