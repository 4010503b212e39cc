package intrinsic

import (
	"strings"

	"github.com/shipwave/shipwave/shared/states/jsonpath"
)

// Env resolves the path arguments of a call: "$..." against the state's
// input, "$$..." against the context object and "$name..." against variables.
type Env interface {
	// Lookup returns the value the path selects, or an error wrapping
	// jsonpath.ErrNotFound when it selects nothing.
	Lookup(path *jsonpath.Path) (any, error)
}

// Random is an optional interface an Env may implement to make
// States.MathRandom (without a seed) and States.UUID deterministic.
type Random interface {
	// Int64N returns a pseudo-random number in [0, n); n > 0.
	Int64N(n int64) int64
	// UUID returns a random version 4 UUID in canonical text form.
	UUID() string
}

// SyntaxError reports a malformed intrinsic function call.
type SyntaxError struct {
	Expr   string
	Offset int
	Msg    string
}

// Error returns the message with the expression.
func (e *SyntaxError) Error() string {
	return "invalid intrinsic function '" + e.Expr + "': " + e.Msg
}

// PathError reports a path argument that selected nothing. It unwraps to the
// Env's error (which wraps jsonpath.ErrNotFound).
type PathError struct {
	Path string
	Err  error
}

// Error returns a message naming the path.
func (e *PathError) Error() string { return "the JSONPath '" + e.Path + "' could not be found" }

// Unwrap returns the lookup error.
func (e *PathError) Unwrap() error { return e.Err }

// Call is a parsed intrinsic function call. It is safe for concurrent use.
type Call struct {
	src  string
	name string
	id   fn
	args []arg
}

// IsIntrinsic reports whether s looks like an intrinsic function call
// ("States.Name(" ... ")") rather than a path.
func IsIntrinsic(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "States.") && strings.HasSuffix(s, ")") && strings.Contains(s, "(")
}

// Parse parses expr, checking the function name and argument count.
func Parse(expr string) (*Call, error) { return parse(expr) }

// String returns the expression as written.
func (c *Call) String() string { return c.src }

// Name returns the function name, such as "States.Format".
func (c *Call) Name() string { return c.name }

// Paths returns every path argument of the call and its nested calls.
func (c *Call) Paths() []*jsonpath.Path { return c.paths(nil) }

// Eval evaluates the call. Invalid arguments are a *failure.Error named
// States.Runtime with the cause "Invalid arguments in States.X" (what AWS
// raises, rather than States.IntrinsicFailure); a path argument that selects
// nothing is a *PathError.
func (c *Call) Eval(env Env) (any, error) { return c.eval(env) }
