package payload

import (
	"github.com/shipwave/shipwave/shared/states/intrinsic"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
)

// Env resolves paths for a template: "$..." against the effective input,
// "$$..." against the context object and "$name..." against variables.
type Env = intrinsic.Env

// CompileError reports an invalid template field found at load time.
type CompileError struct {
	// Field is the JSON pointer of the offending key inside the template,
	// such as "/Payload/id.$".
	Field string
	Msg   string
}

// Error returns the message naming the field.
func (e *CompileError) Error() string { return e.Msg + " at " + e.Field }

// PathError reports a ".$" field whose path selected nothing. The engine
// builds Step Functions' cause from it: "The JSONPath '<Path>' specified for
// the field '<Field>' could not be found in the input '<input>'".
type PathError struct {
	Field string // the key as written, such as "id.$"
	Path  string // the path as written, such as "$.id"
	Err   error  // wraps jsonpath.ErrNotFound
}

// Error returns a message naming the field and path.
func (e *PathError) Error() string {
	return "The JSONPath '" + e.Path + "' specified for the field '" + e.Field + "' could not be found"
}

// Unwrap returns the lookup error.
func (e *PathError) Unwrap() error { return e.Err }

// Template is a compiled payload template. It is safe for concurrent use.
type Template struct {
	root node
}

// Compile validates and compiles a decoded template (usually a *jsonvalue.Object).
// Every ".$" key must hold a string that is a path, a context path, a
// variable path or an intrinsic function call; otherwise it returns a
// *CompileError naming the field.
func Compile(tmpl any) (*Template, error) { return compile(tmpl) }

// IsStatic reports whether the template contains no ".$" fields, so Apply
// always returns the same value.
func (t *Template) IsStatic() bool { return t.static() }

// Paths returns every path the template reads, including intrinsic arguments.
func (t *Template) Paths() []*jsonpath.Path { return t.paths() }

// Apply evaluates the template. Keys ending in ".$" are replaced by the key
// without the suffix holding the selected value; other keys are copied as
// written, in template order. A missing path is a *PathError; an intrinsic
// failure is a *failure.Error.
func (t *Template) Apply(env Env) (any, error) { return t.apply(env) }
