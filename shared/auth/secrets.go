package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Secrets reads a named shared secret, such as a webhook secret or Slack's
// signing secret.
type Secrets interface {
	// Secret returns the current value of the secret called name. An
	// unknown name is a release.ErrNotFound error; an empty value is
	// release.ErrInvalid.
	Secret(ctx context.Context, name string) ([]byte, error)
}

// SecretFunc adapts a function to Secrets.
type SecretFunc func(ctx context.Context, name string) ([]byte, error)

// Secret calls f.
func (f SecretFunc) Secret(ctx context.Context, name string) ([]byte, error) { return f(ctx, name) }

// Static is a fixed set of secrets, for tests and local mode.
type Static map[string]string

// Secret returns the named value or a release.ErrNotFound error.
func (s Static) Secret(_ context.Context, name string) ([]byte, error) {
	v, ok := s[name]
	if !ok {
		return nil, release.Errorf(release.ErrNotFound, "secret %q is not configured", name)
	}
	if v == "" {
		return nil, release.Errorf(release.ErrInvalid, "secret %q is empty", name)
	}
	return []byte(v), nil
}

// Cache keeps secrets read from Source for TTL, so a busy webhook does not
// call Secrets Manager on every request. Failures are not cached. Now
// defaults to time.Now.
type Cache struct {
	Source Secrets
	TTL    time.Duration
	Now    func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	value   []byte
	expires time.Time
}

// NewCache returns a cache of source's secrets that keeps each for ttl.
func NewCache(source Secrets, ttl time.Duration, now func() time.Time) *Cache {
	return &Cache{Source: source, TTL: ttl, Now: now}
}

// Secret returns the cached value of name while it is fresh and reads it
// from Source otherwise; it returns Source's errors.
func (c *Cache) Secret(ctx context.Context, name string) ([]byte, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.value, nil
	}
	v, err := c.Source.Secret(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	c.entries[name] = cacheEntry{value: v, expires: now.Add(c.TTL)}
	c.mu.Unlock()
	return v, nil
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
