package glob

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		yes     []string
		no      []string
	}{
		{name: "literal", pattern: "main", yes: []string{"main"}, no: []string{"mai", "main2", "x/main", ""}},
		{name: "star stays in segment", pattern: "release/*", yes: []string{"release/1.0", "release/"}, no: []string{"release/1/hotfix", "release", "releases/1"}},
		{name: "star in the middle", pattern: "src/*.go", yes: []string{"src/a.go", "src/.go"}, no: []string{"src/a/b.go", "src/a.go.txt"}},
		{name: "doublestar any depth", pattern: "src/**", yes: []string{"src/a", "src/a/b/c.go", "src/"}, no: []string{"src", "lib/src/a"}},
		{name: "doublestar slash matches zero dirs", pattern: "src/**/test.go", yes: []string{"src/test.go", "src/a/test.go", "src/a/b/test.go"}, no: []string{"src/atest.go", "test.go"}},
		{name: "leading doublestar", pattern: "**/*.md", yes: []string{"README.md", "docs/a.md", "a/b/c.md"}, no: []string{"README.txt", "docs/md"}},
		{name: "doublestar inside a segment", pattern: "a**z", yes: []string{"az", "a/b/z", "abz"}, no: []string{"a/b/zz/y"}},
		{name: "question mark", pattern: "v?.?", yes: []string{"v1.2", "vé.x"}, no: []string{"v1.22", "v/.2", "v.2"}},
		{name: "class", pattern: "v[0-9].x", yes: []string{"v0.x", "v9.x"}, no: []string{"va.x", "v10.x"}},
		{name: "class list", pattern: "[abc]", yes: []string{"a", "b", "c"}, no: []string{"d", "ab"}},
		{name: "negated class bang", pattern: "[!a]x", yes: []string{"bx", "ax2"[:0] + "zx"}, no: []string{"ax", "/x"}},
		{name: "negated class caret", pattern: "[^a-c]", yes: []string{"d", "é"}, no: []string{"a", "b", "/"}},
		{name: "class never matches slash", pattern: "a[+-0]b", yes: []string{"a+b", "a.b", "a0b"}, no: []string{"a/b"}},
		{name: "class of only slash", pattern: "a[/]b", no: []string{"a/b", "ab", "axb"}},
		{name: "class with escaped bracket", pattern: `[\]]`, yes: []string{"]"}, no: []string{`\`}},
		{name: "class with leading dash and trailing dash", pattern: "[-a-]", yes: []string{"-", "a"}, no: []string{"b"}},
		{name: "alternation", pattern: "{main,develop}", yes: []string{"main", "develop"}, no: []string{"master", "main,develop"}},
		{name: "alternation with globs", pattern: "src/{*.go,**/*.yaml}", yes: []string{"src/a.go", "src/x.yaml", "src/a/b.yaml"}, no: []string{"src/a/b.go"}},
		{name: "nested alternation", pattern: "{a,b{c,d}}x", yes: []string{"ax", "bcx", "bdx"}, no: []string{"bx", "cx"}},
		{name: "empty alternative", pattern: "v{,2}", yes: []string{"v", "v2"}, no: []string{"v1"}},
		{name: "comma outside braces is literal", pattern: "a,b", yes: []string{"a,b"}, no: []string{"a", "b"}},
		{name: "escapes", pattern: `\*\?\[\{\}\\`, yes: []string{`*?[{}\`}, no: []string{`a?[{}\`}},
		{name: "regexp metacharacters are literal", pattern: "a.b+c(d)|$^", yes: []string{"a.b+c(d)|$^"}, no: []string{"axb+c(d)|$^", "abbc"}},
		{name: "newline in name", pattern: "a*", yes: []string{"a\nb"}, no: []string{"b\na"}},
		{name: "tag semver", pattern: "v[0-9]*.[0-9]*.[0-9]*", yes: []string{"v1.2.3", "v10.20.30-rc1"}, no: []string{"1.2.3", "v1.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Compile(tt.pattern)
			if err != nil {
				t.Fatalf("Compile(%q) error: %v", tt.pattern, err)
			}
			if got := g.String(); got != tt.pattern {
				t.Errorf("String() = %q, want %q", got, tt.pattern)
			}
			for _, s := range tt.yes {
				if !g.Match(s) {
					t.Errorf("Compile(%q).Match(%q) = false, want true", tt.pattern, s)
				}
			}
			for _, s := range tt.no {
				if g.Match(s) {
					t.Errorf("Compile(%q).Match(%q) = true, want false", tt.pattern, s)
				}
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		offset  int
		msg     string
	}{
		{name: "empty", pattern: "", offset: 0, msg: "empty pattern"},
		{name: "unterminated class", pattern: "src/[ab", offset: 4, msg: "unterminated '['"},
		{name: "empty class", pattern: "a[]", offset: 2, msg: "empty character class"},
		{name: "range out of order", pattern: "[z-a]", offset: 2, msg: "out of order"},
		{name: "unterminated brace", pattern: "x{a,b", offset: 1, msg: "unterminated '{'"},
		{name: "unmatched close brace", pattern: "a}b", offset: 1, msg: "unmatched '}'"},
		{name: "trailing backslash", pattern: `ab\`, offset: 2, msg: "trailing '\\'"},
		{name: "escape at end of class", pattern: `[a\`, offset: 0, msg: "unterminated '['"},
		{name: "invalid utf8", pattern: "ab\xffc", offset: 2, msg: "invalid UTF-8"},
		{name: "too long", pattern: strings.Repeat("a", MaxLength+1), offset: MaxLength, msg: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Compile(tt.pattern)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error", tt.pattern, g)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) error %T %v, want *SyntaxError", tt.pattern, err, err)
			}
			if se.Offset != tt.offset {
				t.Errorf("offset = %d, want %d (%v)", se.Offset, tt.offset, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

func TestMatchAnyAndCompileAll(t *testing.T) {
	globs, err := CompileAll([]string{"main", "release/*"})
	if err != nil {
		t.Fatalf("CompileAll: %v", err)
	}
	tests := []struct {
		name  string
		globs []*Glob
		s     string
		want  bool
	}{
		{name: "first", globs: globs, s: "main", want: true},
		{name: "second", globs: globs, s: "release/2", want: true},
		{name: "none", globs: globs, s: "feature/x", want: false},
		{name: "empty list", globs: nil, s: "main", want: false},
		{name: "nil glob", globs: []*Glob{nil}, s: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchAny(tt.globs, tt.s); got != tt.want {
				t.Errorf("MatchAny(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
	_, err = CompileAll([]string{"ok", "[bad"})
	if err == nil || !strings.Contains(err.Error(), "pattern 1") {
		t.Errorf("CompileAll with a bad second pattern: error = %v, want one naming pattern 1", err)
	}
}

func TestEscape(t *testing.T) {
	for _, s := range []string{"plain", `a*b?c[d]e{f,g}h\i!j^k`, "ünï/cødé", ""} {
		p := Escape(s)
		if s == "" {
			if p != "" {
				t.Errorf("Escape(%q) = %q, want empty", s, p)
			}
			continue
		}
		g, err := Compile(p)
		if err != nil {
			t.Fatalf("Compile(Escape(%q)) error: %v", s, err)
		}
		if !g.Match(s) {
			t.Errorf("Compile(Escape(%q) = %q) does not match the string itself", s, p)
		}
		if g.Match(s + "x") {
			t.Errorf("Compile(Escape(%q)) matches %q", s, s+"x")
		}
	}
}

// FuzzMatch checks that no pattern or input crashes the compiler or matcher,
// that escaped strings match themselves, and that on the syntax shared with
// path.Match (no '**', braces, classes) both agree.
func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"src/**/*.go", "src/a/b.go"}, {"{main,release/*}", "release/1"}, {"[!a-c]?", "dx"},
		{`\*x`, "*x"}, {"a*b?c", "axxbyc"}, {"**", "a/b"}, {"[", ""}, {"{a,{b,c}}", "c"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		g, err := Compile(pattern)
		if err == nil {
			_ = g.Match(s)
			if g.String() != pattern {
				t.Fatalf("String() = %q, want %q", g.String(), pattern)
			}
		} else {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(pattern) {
				t.Fatalf("Compile(%q) error %v: want a *SyntaxError with an offset inside the pattern", pattern, err)
			}
		}
		if s != "" && len(Escape(s)) <= MaxLength && validUTF8(s) {
			e, err := Compile(Escape(s))
			if err != nil {
				t.Fatalf("Compile(Escape(%q)) error: %v", s, err)
			}
			if !e.Match(s) {
				t.Fatalf("Compile(Escape(%q)) does not match itself", s)
			}
		}
		if err == nil && len(pattern) <= 64 && len(s) <= 64 && !strings.ContainsAny(pattern, "[]{}") && !strings.Contains(pattern, "**") && validUTF8(s) {
			want, perr := path.Match(pattern, s)
			if perr == nil && g.Match(s) != want {
				t.Fatalf("Compile(%q).Match(%q) = %v, path.Match = %v", pattern, s, g.Match(s), want)
			}
		}
	})
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
