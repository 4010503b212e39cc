package loadtest

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Mode is the load model.
type Mode string

// Load models.
const (
	// ModeRate is the open model: requests are scheduled at the target rate
	// whatever the latency, and latency is measured from the scheduled send
	// time.
	ModeRate Mode = "rate"
	// ModeConcurrency is the closed model: a fixed number of workers each send
	// a request, wait for its answer, and send the next.
	ModeConcurrency Mode = "concurrency"
)

// Defaults applied by Run to zero Config fields.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxInFlight = 1000
)

// Config says what load to generate.
type Config struct {
	RunID string
	Task  int
	// URL is requested with GET.
	URL  string
	Mode Mode
	// RPS is this task's target rate in constant-rate mode, reached after a
	// linear ramp from zero over RampUp.
	RPS float64
	// Concurrency is the number of workers in fixed-concurrency mode, started
	// one after another over RampUp.
	Concurrency int
	// MaxInFlight caps outstanding requests in constant-rate mode; a request
	// due while the cap is reached is dropped and counted. Default
	// DefaultMaxInFlight.
	MaxInFlight int
	RampUp      time.Duration
	HoldFor     time.Duration
	// Timeout bounds each request, reading its body included. Default
	// DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests. Nil means a client sized for the load that
	// does not follow redirects (a 3xx response counts as an error).
	Client *http.Client
	// Clock tells the time and paces the schedule. Nil means the real clock.
	Clock Clock
}

// Clock is the time source of a run.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// SleepUntil blocks until t or until ctx is done, returning ctx.Err()
	// in the latter case.
	SleepUntil(ctx context.Context, t time.Time) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// withDefaults validates c and fills its zero fields. Errors match
// release.ErrInvalid and name the field.
func (c Config) withDefaults() (Config, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, release.Errorf(release.ErrInvalid, "url: %q is not an absolute http(s) URL", c.URL)
	}
	switch c.Mode {
	case ModeRate:
		if !(c.RPS > 0) || math.IsInf(c.RPS, 0) {
			return c, release.Errorf(release.ErrInvalid, "rps: %v, want a positive rate in rate mode", c.RPS)
		}
	case ModeConcurrency:
		if c.Concurrency < 1 {
			return c, release.Errorf(release.ErrInvalid, "concurrency: %d, want at least 1 in concurrency mode", c.Concurrency)
		}
	default:
		return c, release.Errorf(release.ErrInvalid, "mode: %q, want %q or %q", c.Mode, ModeRate, ModeConcurrency)
	}
	switch {
	case c.Task < 0:
		return c, release.Errorf(release.ErrInvalid, "task: %d is negative", c.Task)
	case c.HoldFor <= 0:
		return c, release.Errorf(release.ErrInvalid, "holdFor: %v, want a positive duration", c.HoldFor)
	case c.RampUp < 0:
		return c, release.Errorf(release.ErrInvalid, "rampUp: %v is negative", c.RampUp)
	case c.Timeout < 0:
		return c, release.Errorf(release.ErrInvalid, "timeout: %v is negative", c.Timeout)
	case c.MaxInFlight < 0:
		return c, release.Errorf(release.ErrInvalid, "maxInFlight: %d is negative", c.MaxInFlight)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Client == nil {
		conns := c.Concurrency
		if c.Mode == ModeRate {
			conns = c.MaxInFlight
		}
		c.Client = &http.Client{
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConns:        conns,
				MaxIdleConnsPerHost: conns,
				IdleConnTimeout:     90 * time.Second,
				ForceAttemptHTTP2:   true,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}
