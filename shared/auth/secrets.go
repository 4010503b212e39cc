package auth

import (
	"context"
	"fmt"
	"strings"
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
// defaults to time.Now. It is Versioned (a Source that is not lists just
// its current value) and a Refresher that refetches a name at most once
// per RefreshEvery (DefaultRefreshEvery when zero).
type Cache struct {
	Source       Secrets
	TTL          time.Duration
	RefreshEvery time.Duration
	Now          func() time.Time

	mu        sync.Mutex
	entries   map[string]cacheEntry
	versions  map[string]cacheVersions
	refreshed map[string]time.Time
}

type cacheEntry struct {
	value   []byte
	expires time.Time
}

type cacheVersions struct {
	values  [][]byte
	expires time.Time
}

var _ Versioned = (*Cache)(nil)
var _ Refresher = (*Cache)(nil)

// SecretVersions returns the cached versions of name while fresh, reading
// them from Source (its SecretVersions, or its Secret) otherwise.
func (c *Cache) SecretVersions(ctx context.Context, name string) ([][]byte, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.versions[name]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.values, nil
	}
	var vs [][]byte
	if v, ok := c.Source.(Versioned); ok {
		var err error
		if vs, err = v.SecretVersions(ctx, name); err != nil {
			return nil, fmt.Errorf("read secret %s: %w", name, err)
		}
	} else {
		s, err := c.Source.Secret(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("read secret %s: %w", name, err)
		}
		vs = [][]byte{s}
	}
	c.mu.Lock()
	if c.versions == nil {
		c.versions = map[string]cacheVersions{}
	}
	c.versions[name] = cacheVersions{values: vs, expires: now.Add(c.TTL)}
	c.mu.Unlock()
	return vs, nil
}

// Refresh drops name's cached values unless it did so within RefreshEvery;
// it reports whether it did.
func (c *Cache) Refresh(name string) bool {
	now := c.now()
	every := c.RefreshEvery
	if every <= 0 {
		every = DefaultRefreshEvery
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.refreshed[name]; ok && now.Sub(last) < every {
		return false
	}
	if c.refreshed == nil {
		c.refreshed = map[string]time.Time{}
	}
	c.refreshed[name] = now
	delete(c.entries, name)
	delete(c.versions, name)
	return true
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

// Prefixed reads names starting with Prefix (the prefix cut off) from
// Prefixed and every other name from Default; it is Versioned, passing
// SecretVersions on to a source that is (and listing Secret's value for
// one that is not).
type Prefixed struct {
	Prefix   string
	Prefixed Secrets
	Default  Secrets
}

var _ Versioned = Prefixed{}

func (p Prefixed) route(name string) (Secrets, string) {
	if rest, ok := strings.CutPrefix(name, p.Prefix); ok && p.Prefix != "" {
		return p.Prefixed, rest
	}
	return p.Default, name
}

// Secret reads name from its source.
func (p Prefixed) Secret(ctx context.Context, name string) ([]byte, error) {
	src, n := p.route(name)
	return src.Secret(ctx, n)
}

// SecretVersions lists name's versions from its source.
func (p Prefixed) SecretVersions(ctx context.Context, name string) ([][]byte, error) {
	src, n := p.route(name)
	if v, ok := src.(Versioned); ok {
		return v.SecretVersions(ctx, n)
	}
	s, err := src.Secret(ctx, n)
	if err != nil {
		return nil, err
	}
	return [][]byte{s}, nil
}
