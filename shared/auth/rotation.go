package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Versioned is a Secrets that can list every version of a secret a
// request may have been signed with during a rotation: the current value
// first, then the pending and previous ones (Secrets Manager's AWSCURRENT,
// AWSPENDING, AWSPREVIOUS), skipping stages that do not exist.
type Versioned interface {
	Secrets
	SecretVersions(ctx context.Context, name string) ([][]byte, error)
}

// Refresher is a Secrets that caches: Refresh drops name's cached value so
// the next read goes to the source, and reports false (doing nothing) when
// it refreshed name too recently.
type Refresher interface {
	Refresh(name string) bool
}

// SecretError is a failure to read a secret (as opposed to a request that
// does not verify): callers answer 500, not 401.
type SecretError struct{ Err error }

func (e *SecretError) Error() string { return e.Err.Error() }
func (e *SecretError) Unwrap() error { return e.Err }

// VerifyWithSecret checks a request with verify against every version of
// the secret name (Versioned's order; just Secret otherwise) and succeeds
// with the first that verifies. When none does (an ErrUnauthorized-kind
// error) and secrets is a Refresher that allows it, the versions are
// fetched once more and tried again, so a rotation is picked up at once
// instead of after the cache's TTL; the refresh is rate limited, so
// forged requests cannot make every request reach the secret store. A
// failure to read the secret is a *SecretError; otherwise the error is
// verify's (from the current version).
func VerifyWithSecret(ctx context.Context, secrets Secrets, name string, verify func(secret []byte) error) error {
	err := tryVersions(ctx, secrets, name, verify)
	var se *SecretError
	if err == nil || errors.As(err, &se) || !errors.Is(err, release.ErrUnauthorized) {
		return err
	}
	r, ok := secrets.(Refresher)
	if !ok || !r.Refresh(name) {
		return err
	}
	if err2 := tryVersions(ctx, secrets, name, verify); err2 == nil || errors.As(err2, &se) {
		return err2
	}
	return err
}

func tryVersions(ctx context.Context, secrets Secrets, name string, verify func([]byte) error) error {
	var versions [][]byte
	if v, ok := secrets.(Versioned); ok {
		vs, err := v.SecretVersions(ctx, name)
		if err != nil {
			return &SecretError{fmt.Errorf("read secret %s: %w", name, err)}
		}
		versions = vs
	} else {
		s, err := secrets.Secret(ctx, name)
		if err != nil {
			return &SecretError{fmt.Errorf("read secret %s: %w", name, err)}
		}
		versions = [][]byte{s}
	}
	var first error
	for _, s := range versions {
		err := verify(s)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
		if !errors.Is(err, release.ErrUnauthorized) {
			return err // stale, malformed: no other version can help
		}
	}
	if first == nil {
		return &SecretError{release.Errorf(release.ErrNotFound, "secret %s has no versions", name)}
	}
	return first
}

// DefaultRefreshEvery is how often a Cache lets a failed verification
// refetch a secret.
const DefaultRefreshEvery = time.Minute
