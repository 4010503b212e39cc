package jsonpath

import "errors"

// ErrNotFound is wrapped by errors from Get when a path selects nothing.
var ErrNotFound = errors.New("jsonpath: path not found")

// ErrSet is wrapped by errors from Set when a value cannot be written at the
// path (for example, a field of a non-object).
var ErrSet = errors.New("jsonpath: cannot set value")

// SyntaxError reports a malformed path.
type SyntaxError struct {
	Path   string
	Offset int
	Msg    string
}

// Error returns a message naming the path and the problem.
func (e *SyntaxError) Error() string {
	return "invalid JSONPath '" + e.Path + "': " + e.Msg
}

// Path is a compiled JSONPath expression. It is safe for concurrent use.
type Path struct {
	src      string
	root     string // "$", "$$" or a variable name
	steps    []step
	definite bool
}

// Parse compiles expr. The root is "$" (the input), "$$" (the context
// object) or "$name" (a variable).
func Parse(expr string) (*Path, error) { return parse(expr) }

// MustParse is like Parse but panics on error; it is meant for constants in
// tests and package initialisation.
func MustParse(expr string) *Path {
	p, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the expression as written.
func (p *Path) String() string { return p.src }

// Root returns "$" for the input, "$$" for the context object, or the
// variable name for "$name" paths.
func (p *Path) Root() string { return p.root }

// IsVariable reports whether the path starts at a variable.
func (p *Path) IsVariable() bool { return p.root != "$" && p.root != "$$" }

// IsContext reports whether the path starts at the context object ("$$").
func (p *Path) IsContext() bool { return p.root == "$$" }

// IsDefinite reports whether the path selects at most one value (no
// wildcards, slices, filters, unions or recursive descent).
func (p *Path) IsDefinite() bool { return p.definite }

// IsReference reports whether the path is a Reference Path in the States
// Language sense: only named fields and single array indexes, so it
// identifies one node and can be written to.
func (p *Path) IsReference() bool { return p.isReference() }

// Member returns the member name when the path is "$" followed by one
// named field ($.a or $['a']), and false for any other path.
func (p *Path) Member() (string, bool) {
	if p.root != "$" || len(p.steps) != 1 || p.steps[0].kind != stepField {
		return "", false
	}
	return p.steps[0].name, true
}

// Get evaluates the path against root (the document its Root names; for a
// variable path, the variable's value). A definite path returns the selected
// value; an indefinite path returns a []any of matches, possibly empty. It
// returns an error wrapping ErrNotFound, with Jayway's message ("No results
// for path: $['a']", "Missing property in path $['a']", ...), when a
// definite path selects nothing or the definite part of a path before its
// first wildcard, slice or filter cannot be followed.
func (p *Path) Get(root any) (any, error) { return p.get(root) }

// IsNoMatch reports whether err is Get's own report that the path matched
// nothing in the document it was given (a Jayway PathNotFoundException),
// as opposed to an error from resolving the document itself, such as an
// undefined variable.
func IsNoMatch(err error) bool {
	var nf *notFound
	return errors.As(err, &nf)
}

// Set returns a copy of root with value written at the path, as ResultPath
// does: "$" replaces the whole document and missing intermediate objects are
// created. Only the containers along the path are copied; root itself is
// never modified and the rest is shared. It returns an error wrapping ErrSet,
// whose text is Step Functions' ResultPathMatchFailure cause ("Unable to
// apply ReferencePath $.x to input <JSON>"), when the path goes through a
// value that is not an object or an index outside an array.
func (p *Path) Set(root, value any) (any, error) { return p.set(root, value) }
