package states

import (
	"strings"
)

// Problem is one reason a definition is invalid.
type Problem struct {
	// Code is Step Functions' diagnostic code, such as
	// SCHEMA_VALIDATION_FAILED or MISSING_TRANSITION_TARGET.
	Code string
	// Message describes the problem.
	Message string
	// Location is a JSON pointer into the definition, such as
	// "/States/Start/Next".
	Location string
}

// String formats the problem as Step Functions does: "CODE: message at /path".
func (p Problem) String() string {
	if p.Location == "" {
		return p.Code + ": " + p.Message
	}
	return p.Code + ": " + p.Message + " at " + p.Location
}

// ValidationError lists every problem found in a definition, like the
// InvalidDefinition error of CreateStateMachine.
type ValidationError struct {
	Problems []Problem
}

// Error formats the problems as Step Functions' InvalidDefinition message.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}

// Diagnostic codes used in problems.
const (
	CodeSchema            = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTarget     = "MISSING_TRANSITION_TARGET"
	CodeUnreachable       = "MISSING_TRANSITION_TARGET"
	CodeInvalidJSON       = "INVALID_JSON_DESCRIPTION"
	CodeDuplicateState    = "DUPLICATE_STATE_NAME"
	CodeNoTerminalState   = "MISSING_END_STATE"
	CodeInvalidJSONPath   = "INVALID_JSON_PATH"
	CodeInvalidIntrinsic  = "INVALID_INTRINSIC_FUNCTION"
	CodeInvalidParameters = "INVALID_PARAMETERS"
)

type checker struct {
	problems []Problem
}

func (c *checker) add(code, loc, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = sprintf(format, args...)
	}
	c.problems = append(c.problems, Problem{Code: code, Message: msg, Location: loc})
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: c.problems}
}

// pointer escapes a JSON pointer token.
func pointer(base, token string) string {
	token = strings.ReplaceAll(token, "~", "~0")
	token = strings.ReplaceAll(token, "/", "~1")
	return base + "/" + token
}
