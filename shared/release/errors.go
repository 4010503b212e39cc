package release

import (
	"errors"
	"fmt"
)

// Error kinds. Adapters wrap their failures so that errors.Is matches one of
// these; callers decide what to do by kind, never by message.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a conditional write lost: someone else changed the
	// item first, or it already exists.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means the input was rejected before anything was changed.
	ErrInvalid = errors.New("invalid")
	// ErrLocked means a lock is held by another owner whose lease is live.
	ErrLocked = errors.New("locked")
	// ErrExpired means a lease, token or key was found but is past its expiry.
	ErrExpired = errors.New("expired")
	// ErrUnauthorized means the caller may not do what it asked.
	ErrUnauthorized = errors.New("unauthorized")
)

// Errorf returns an error of the given kind with a formatted message; the
// result matches kind with errors.Is and any %w operands as well.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }
