package spec

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// Problem is one thing wrong with a spec, located by file, line, column and
// field path (such as stages[1].waves[0].deployment).
type Problem struct {
	File    string
	Line    int // 1-based; 0 when the problem concerns the whole file
	Column  int // 1-based; 0 when unknown
	Path    string
	Message string
}

// String formats the problem as FILE:LINE: field.path: message, leaving out
// the line or path when there is none.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a spec, sorted by line. It is the error
// Parse returns, and it matches release.ErrInvalid with errors.Is.
type Problems []Problem

// Error returns one FILE:LINE: field.path: message line per problem.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is reports whether target is release.ErrInvalid: a spec with problems is
// invalid input.
func (ps Problems) Is(target error) bool { return target == release.ErrInvalid }

// AsProblems returns the problems err carries, or nil when it carries none.
func AsProblems(err error) Problems {
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	return nil
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}
