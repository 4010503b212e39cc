package httpapi

import (
	"errors"
	"net/http"

	"github.com/shipwave/shipwave/shared/release"
)

// ErrUnsupported is the kind of a request this place of the API cannot
// serve (a capability its Server was not given): 501.
var ErrUnsupported = errors.New("not supported here")

// PartialError is a request whose first part took effect and whose second
// did not (a spec saved whose schedules failed to sync): 502, so the
// caller knows to retry.
type PartialError struct{ Err error }

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// StatusOf is the one mapping of error kinds to HTTP statuses.
func StatusOf(err error) int {
	var partial *PartialError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &partial):
		return http.StatusBadGateway
	case errors.Is(err, ErrUnsupported):
		return http.StatusNotImplemented
	case errors.Is(err, release.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, release.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, release.ErrUnauthorized):
		return http.StatusForbidden
	case errors.Is(err, release.ErrConflict), errors.Is(err, release.ErrLocked), errors.Is(err, release.ErrExpired):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// KindOf is the inverse of StatusOf for clients: the error kind an answer's
// status stands for (nil for statuses with none).
func KindOf(status int) error {
	switch status {
	case http.StatusNotFound:
		return release.ErrNotFound
	case http.StatusBadRequest:
		return release.ErrInvalid
	case http.StatusForbidden, http.StatusUnauthorized:
		return release.ErrUnauthorized
	case http.StatusConflict:
		return release.ErrConflict
	case http.StatusNotImplemented:
		return ErrUnsupported
	}
	return nil
}
