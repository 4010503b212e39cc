// Package failure defines the named errors of the Amazon States Language:
// an error name that Retry and Catch match on, and a cause that explains it.
// Every part of the embedded engine reports failures as *Error so that names
// and causes come out exactly as Step Functions produces them.
package failure

import "fmt"

// Predefined error names of the States Language.
const (
	ALL                             = "States.ALL"
	TaskFailed                      = "States.TaskFailed"
	Timeout                         = "States.Timeout"
	HeartbeatTimeout                = "States.HeartbeatTimeout"
	Runtime                         = "States.Runtime"
	DataLimitExceeded               = "States.DataLimitExceeded"
	IntrinsicFailure                = "States.IntrinsicFailure"
	NoChoiceMatched                 = "States.NoChoiceMatched"
	ParameterPathFailure            = "States.ParameterPathFailure"
	ResultPathMatchFailure          = "States.ResultPathMatchFailure"
	BranchFailed                    = "States.BranchFailed"
	Permissions                     = "States.Permissions"
	ItemReaderFailed                = "States.ItemReaderFailed"
	ResultWriterFailed              = "States.ResultWriterFailed"
	ExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	QueryEvaluationError            = "States.QueryEvaluationError"
)

// Error is a named States Language error.
type Error struct {
	Name  string
	Cause string
}

// New returns an error with the given name and cause.
func New(name, cause string) *Error { return &Error{Name: name, Cause: cause} }

// Newf returns an error with the given name and a formatted cause.
func Newf(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// Error returns "Name: Cause".
func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}
