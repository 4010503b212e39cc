package localproxy_test

import (
	"context"
	"sync"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/localproxy"
	"github.com/shipwave/shipwave/shared/traffic/traffictest"
)

// memProxy is an in-memory Proxy with the documented semantics, standing in
// for the local stack until it exists.
type memProxy struct {
	mu       sync.Mutex
	versions map[string]map[string]string // service → artifact → version
	routes   map[string]traffic.Split
}

func newMemProxy(service string) *memProxy {
	return &memProxy{
		versions: map[string]map[string]string{service: {"build-1": "v1"}},
		routes:   map[string]traffic.Split{service: {Stable: "v1"}},
	}
}

func (p *memProxy) Launch(_ context.Context, service, artifact string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	vs, ok := p.versions[service]
	if !ok {
		return "", release.Errorf(release.ErrNotFound, "service %s not found", service)
	}
	if v, ok := vs[artifact]; ok {
		return v, nil
	}
	v := "v" + string(rune('1'+len(vs)))
	vs[artifact] = v
	return v, nil
}

func (p *memProxy) Route(_ context.Context, service string) (traffic.Split, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.routes[service]
	if !ok {
		return traffic.Split{}, release.Errorf(release.ErrNotFound, "service %s not found", service)
	}
	return r, nil
}

func (p *memProxy) SetRoute(_ context.Context, service string, s traffic.Split) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	vs, ok := p.versions[service]
	if !ok {
		return release.Errorf(release.ErrNotFound, "service %s not found", service)
	}
	known := map[string]bool{}
	for _, v := range vs {
		known[v] = true
	}
	for _, v := range []string{s.Stable, s.Candidate} {
		if v != "" && !known[v] {
			return release.Errorf(release.ErrInvalid, "version %s of %s was never launched", v, service)
		}
	}
	p.routes[service] = s
	return nil
}

func (p *memProxy) Serving(_ context.Context, service, version string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.versions[service] {
		if v == version {
			return nil
		}
	}
	return release.Errorf(release.ErrNotFound, "version %s of %s was never launched", version, service)
}

func TestContract(t *testing.T) {
	traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
		return localproxy.New(newMemProxy("orders")), release.Target{Type: release.TargetLocal, Name: "orders", Instances: 2}
	})
}
