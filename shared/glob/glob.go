package glob

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxLength is the longest pattern Compile accepts, in bytes.
const MaxLength = 1024

// Glob is a compiled pattern. Its zero value matches nothing; use Compile.
type Glob struct {
	pattern string
	re      *regexp.Regexp
}

// SyntaxError reports a pattern that does not compile: what is wrong and at
// which byte offset of the pattern.
type SyntaxError struct {
	Pattern string
	Offset  int
	Msg     string
}

// Error describes the problem with the pattern and where it is.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("glob %q: %s at offset %d", e.Pattern, e.Msg, e.Offset)
}

// Compile parses pattern. The syntax is:
//
//   - any run of characters except '/'
//     **      any run of characters including '/'; "**/" also matches no
//     directory at all, so "src/**/x" matches "src/x"; a trailing "/**"
//     matches everything below the directory but not the directory itself
//     ?       any single character except '/'
//     [abc]   one character of the class; ranges ([a-z]) and negation ([!a] or
//     [^a]) as in shells; a class never matches '/'
//     {a,b}   either alternative; alternatives may hold any syntax, including
//     nested braces
//     \c      the character c itself
//
// Any other character matches itself. A pattern that is empty, longer than
// MaxLength, not valid UTF-8, or has an unterminated class, brace or escape
// returns a *SyntaxError.
func Compile(pattern string) (*Glob, error) {
	if pattern == "" {
		return nil, &SyntaxError{Pattern: pattern, Msg: "empty pattern"}
	}
	if len(pattern) > MaxLength {
		return nil, &SyntaxError{Pattern: pattern, Offset: MaxLength, Msg: fmt.Sprintf("pattern longer than %d bytes", MaxLength)}
	}
	if !utf8.ValidString(pattern) {
		off := 0
		for off < len(pattern) {
			r, n := utf8.DecodeRuneInString(pattern[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, &SyntaxError{Pattern: pattern, Offset: off, Msg: "invalid UTF-8"}
	}
	c := compiler{pattern: pattern}
	var b strings.Builder
	b.WriteString(`\A(?s:`)
	if err := c.sequence(&b, 0, true); err != nil {
		return nil, err
	}
	if c.pos < len(pattern) {
		// sequence stops only at a '}' or ',' it cannot consume at depth 0.
		return nil, &SyntaxError{Pattern: pattern, Offset: c.pos, Msg: "unmatched '}'"}
	}
	b.WriteString(`)\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, &SyntaxError{Pattern: pattern, Msg: err.Error()}
	}
	return &Glob{pattern: pattern, re: re}, nil
}

// MustCompile is like Compile but panics on a bad pattern. It is meant for
// patterns written in the source, such as in tests.
func MustCompile(pattern string) *Glob {
	g, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return g
}

// Match reports whether s matches the whole pattern.
func (g *Glob) Match(s string) bool {
	if g == nil || g.re == nil {
		return false
	}
	return g.re.MatchString(s)
}

// String returns the pattern the glob was compiled from.
func (g *Glob) String() string {
	if g == nil {
		return ""
	}
	return g.pattern
}

// CompileAll compiles every pattern, stopping at the first error, which names
// the pattern's index.
func CompileAll(patterns []string) ([]*Glob, error) {
	globs := make([]*Glob, 0, len(patterns))
	for i, p := range patterns {
		g, err := Compile(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %d: %w", i, err)
		}
		globs = append(globs, g)
	}
	return globs, nil
}

// MatchAny reports whether s matches at least one of globs. It is false for
// an empty list.
func MatchAny(globs []*Glob, s string) bool {
	for _, g := range globs {
		if g.Match(s) {
			return true
		}
	}
	return false
}

// Escape returns a pattern that matches exactly s.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]{},\!^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// compiler translates a glob into an RE2 regular expression.
type compiler struct {
	pattern string
	pos     int
}

func (c *compiler) errorf(off int, format string, args ...any) error {
	return &SyntaxError{Pattern: c.pattern, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// sequence translates pattern text until the end, or until a ',' or '}' that
// closes an alternative when depth > 0. It leaves c.pos on the stopping byte.
// segStart says whether the text starts a path segment, which decides whether
// a leading "**/" may match no directory.
func (c *compiler) sequence(b *strings.Builder, depth int, segStart bool) error {
	p := c.pattern
	for c.pos < len(p) {
		atSegmentStart := segStart
		segStart = false
		switch ch := p[c.pos]; ch {
		case '*':
			start := c.pos
			for c.pos < len(p) && p[c.pos] == '*' {
				c.pos++
			}
			if c.pos-start == 1 {
				b.WriteString(`[^/]*`)
				continue
			}
			// "**": at a segment start and followed by '/', it may match no
			// directory at all.
			if atSegmentStart && c.pos < len(p) && p[c.pos] == '/' {
				c.pos++
				b.WriteString(`(?:.*/)?`)
				segStart = true
				continue
			}
			b.WriteString(`.*`)
		case '?':
			c.pos++
			b.WriteString(`[^/]`)
		case '[':
			if err := c.class(b); err != nil {
				return err
			}
		case '{':
			if err := c.alternation(b, depth, atSegmentStart); err != nil {
				return err
			}
		case '}', ',':
			if depth > 0 {
				return nil
			}
			if ch == '}' {
				return c.errorf(c.pos, "unmatched '}'")
			}
			c.pos++
			b.WriteString(`,`)
		case '\\':
			if c.pos+1 >= len(p) {
				return c.errorf(c.pos, "trailing '\\' escapes nothing")
			}
			c.pos++
			r, n := utf8.DecodeRuneInString(p[c.pos:])
			c.pos += n
			b.WriteString(regexp.QuoteMeta(string(r)))
		default:
			r, n := utf8.DecodeRuneInString(p[c.pos:])
			c.pos += n
			b.WriteString(regexp.QuoteMeta(string(r)))
			segStart = r == '/'
		}
	}
	return nil
}

// alternation translates "{a,b,...}" starting at c.pos.
func (c *compiler) alternation(b *strings.Builder, depth int, segStart bool) error {
	open := c.pos
	c.pos++ // '{'
	b.WriteString(`(?:`)
	for {
		if err := c.sequence(b, depth+1, segStart); err != nil {
			return err
		}
		if c.pos >= len(c.pattern) {
			return c.errorf(open, "unterminated '{'")
		}
		if c.pattern[c.pos] == '}' {
			c.pos++
			b.WriteString(`)`)
			return nil
		}
		c.pos++ // ','
		b.WriteString(`|`)
	}
}

// class translates "[...]" starting at c.pos. The class never matches '/'.
func (c *compiler) class(b *strings.Builder) error {
	p := c.pattern
	open := c.pos
	c.pos++ // '['
	negated := false
	if c.pos < len(p) && (p[c.pos] == '!' || p[c.pos] == '^') {
		negated = true
		c.pos++
	}
	type span struct{ lo, hi rune }
	var spans []span
	readRune := func() (rune, error) {
		if c.pos >= len(p) {
			return 0, c.errorf(open, "unterminated '['")
		}
		if p[c.pos] == '\\' {
			c.pos++
			if c.pos >= len(p) {
				return 0, c.errorf(open, "unterminated '['")
			}
		}
		r, n := utf8.DecodeRuneInString(p[c.pos:])
		c.pos += n
		return r, nil
	}
	for first := true; ; first = false {
		if c.pos >= len(p) {
			return c.errorf(open, "unterminated '['")
		}
		if p[c.pos] == ']' && !first {
			c.pos++
			break
		}
		if p[c.pos] == ']' && first {
			return c.errorf(c.pos, "empty character class")
		}
		lo, err := readRune()
		if err != nil {
			return err
		}
		hi := lo
		if c.pos+1 < len(p) && p[c.pos] == '-' && p[c.pos+1] != ']' {
			rangeAt := c.pos
			c.pos++
			if hi, err = readRune(); err != nil {
				return err
			}
			if hi < lo {
				return c.errorf(rangeAt, "range %q-%q is out of order", lo, hi)
			}
		}
		spans = append(spans, span{lo, hi})
	}
	b.WriteByte('[')
	if negated {
		b.WriteString(`^/`)
	}
	wrote := false
	for _, s := range spans {
		// A class never matches '/': cut it out of every span.
		for _, part := range []span{{s.lo, min(s.hi, '/'-1)}, {max(s.lo, '/'+1), s.hi}} {
			if part.lo > part.hi {
				continue
			}
			fmt.Fprintf(b, `\x{%x}`, part.lo)
			if part.hi != part.lo {
				fmt.Fprintf(b, `-\x{%x}`, part.hi)
			}
			wrote = true
		}
	}
	if !wrote && !negated {
		// Only '/' was listed: the class matches nothing.
		b.WriteString(`^\x00-\x{10FFFF}`)
	}
	b.WriteByte(']')
	return nil
}
