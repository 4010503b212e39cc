package localproxy

import (
	"context"
	"fmt"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Proxy is what the local stack provides for one service: instances started
// per artifact and a weighted route over at most two versions.
type Proxy interface {
	// Launch starts the service's instances running artifact, unless they
	// already run, and returns their version id; launching the same
	// artifact again returns the same id. It returns ErrNotFound for an
	// unknown service.
	Launch(ctx context.Context, service, artifact string) (version string, err error)
	// Route returns the live route of service in Settled form. It returns
	// ErrNotFound for an unknown service.
	Route(ctx context.Context, service string) (traffic.Split, error)
	// SetRoute atomically replaces the route of service. It returns
	// ErrNotFound for an unknown service and ErrInvalid for a version that
	// was never launched.
	SetRoute(ctx context.Context, service string, s traffic.Split) error
	// Serving returns nil when version has live instances that answer
	// their health probe, an ErrConflict-kind error when none does, and
	// ErrNotFound for an unknown service or a version never launched.
	Serving(ctx context.Context, service, version string) error
}

// Shifter shifts traffic on local targets through a Proxy.
type Shifter struct {
	proxy Proxy
}

var _ traffic.Shifter = (*Shifter)(nil)

// New returns a Shifter using proxy.
func New(proxy Proxy) *Shifter { return &Shifter{proxy: proxy} }

func service(t release.Target) (string, error) {
	if t.Type != release.TargetLocal {
		return "", release.Errorf(release.ErrInvalid, "local shifter: target %s has type %q, want %q", t.Name, t.Type, release.TargetLocal)
	}
	if t.Service != "" {
		return t.Service, nil
	}
	if t.Name == "" {
		return "", release.Errorf(release.ErrInvalid, "local shifter: target needs a name or service")
	}
	return t.Name, nil
}

// Prepare launches artifact's instances; no traffic moves.
func (s *Shifter) Prepare(ctx context.Context, t release.Target, artifact string) (string, error) {
	svc, err := service(t)
	if err != nil {
		return "", err
	}
	if artifact == "" {
		return "", release.Errorf(release.ErrInvalid, "prepare %s: artifact is required", svc)
	}
	v, err := s.proxy.Launch(ctx, svc, artifact)
	if err != nil {
		return "", fmt.Errorf("prepare %s: launch %s: %w", svc, artifact, err)
	}
	return v, nil
}

// Current reads the proxy's route.
func (s *Shifter) Current(ctx context.Context, t release.Target) (traffic.Split, error) {
	svc, err := service(t)
	if err != nil {
		return traffic.Split{}, err
	}
	r, err := s.proxy.Route(ctx, svc)
	if err != nil {
		return traffic.Split{}, fmt.Errorf("read route of %s: %w", svc, err)
	}
	return r.Settled(), nil
}

// Shift sets the proxy's route to sp.
func (s *Shifter) Shift(ctx context.Context, t release.Target, sp traffic.Split) error {
	svc, err := service(t)
	if err != nil {
		return err
	}
	if err := sp.Validate(); err != nil {
		return fmt.Errorf("shift %s: %w", svc, err)
	}
	if err := s.proxy.SetRoute(ctx, svc, sp.Settled()); err != nil {
		return fmt.Errorf("shift %s to %s: %w", svc, sp, err)
	}
	return nil
}

// Verify reads the route back and compares it with sp.
func (s *Shifter) Verify(ctx context.Context, t release.Target, sp traffic.Split) error {
	live, err := s.Current(ctx, t)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !live.Same(sp) {
		return traffic.Mismatch(t.Name, live, sp)
	}
	return nil
}

// Serving asks the proxy whether version's instances are alive and answer
// their health probe.
func (s *Shifter) Serving(ctx context.Context, t release.Target, version string) error {
	svc, err := service(t)
	if err != nil {
		return err
	}
	if err := s.proxy.Serving(ctx, svc, version); err != nil {
		return fmt.Errorf("%s %s: %w", svc, version, err)
	}
	return nil
}
