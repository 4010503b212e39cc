// Package localtest gives tests of the local stack in-process stand-ins
// for its fleet and alarms (local.Config.Fleet): a Fleet whose services
// are loopback HTTP servers answering for the version their route serves,
// and OKAlarms, which reports every alarm OK. Tests that need real
// processes use shared/fleet instead.
package localtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Fleet is an in-process local.Fleet: each service is one loopback server
// that answers {"version": V} for the version V its route serves (the
// candidate only at 100%). A version whose artifact carries a fault
// ("v2+error-rate=1") answers 500, so a verify hook fails it. It is safe
// for concurrent use; Close stops the servers.
type Fleet struct {
	mu       sync.Mutex
	services map[string]*service
}

type service struct {
	srv      *httptest.Server
	route    traffic.Split
	versions map[string]bool
}

var _ local.Fleet = (*Fleet)(nil)

// NewFleet returns an empty Fleet.
func NewFleet() *Fleet { return &Fleet{services: map[string]*service{}} }

// AddService starts name's server with all traffic on artifact and returns
// its URL.
func (f *Fleet) AddService(_ context.Context, name string, _ int, artifact string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &service{route: traffic.Split{Stable: artifact}, versions: map[string]bool{artifact: true}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		v := s.route.Stable
		if s.route.Weight == 100 {
			v = s.route.Candidate
		}
		f.mu.Unlock()
		if strings.Contains(v, "+") {
			w.WriteHeader(http.StatusInternalServerError)
		}
		fmt.Fprintf(w, `{"version":%q}`, v)
	}))
	f.services[name] = s
	return s.srv.URL, nil
}

// service returns name's service; callers hold f.mu.
func (f *Fleet) service(name string) (*service, error) {
	s, ok := f.services[name]
	if !ok {
		return nil, release.Errorf(release.ErrNotFound, "service %s", name)
	}
	return s, nil
}

// Launch records artifact as a version of service.
func (f *Fleet) Launch(_ context.Context, name, artifact string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.service(name)
	if err != nil {
		return "", err
	}
	s.versions[artifact] = true
	return artifact, nil
}

// Route returns service's split.
func (f *Fleet) Route(_ context.Context, name string) (traffic.Split, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.service(name)
	if err != nil {
		return traffic.Split{}, err
	}
	return s.route, nil
}

// SetRoute sets service's split (settled: 0% or 100% on one version).
func (f *Fleet) SetRoute(_ context.Context, name string, sp traffic.Split) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.service(name)
	if err != nil {
		return err
	}
	s.route = sp.Settled()
	return nil
}

// Serving returns nil once version was launched on service, else an
// ErrNotFound-kind error.
func (f *Fleet) Serving(_ context.Context, name, version string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.service(name)
	if err != nil || !s.versions[version] {
		return release.Errorf(release.ErrNotFound, "service %s version %s", name, version)
	}
	return nil
}

// CandidateRequests reports plenty of requests, so no bake waits for data.
func (f *Fleet) CandidateRequests(context.Context, release.Target, string, time.Time) (int64, error) {
	return 1000, nil
}

// StartTraffic does nothing: the servers answer only what tests send.
func (f *Fleet) StartTraffic(string, int) error { return nil }

// Close stops every service's server.
func (f *Fleet) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.services {
		s.srv.Close()
	}
	return nil
}

// OKAlarms is a local.AlarmEngine whose alarms are all OK.
type OKAlarms struct{}

var _ local.AlarmEngine = OKAlarms{}

// States reports every named alarm OK.
func (OKAlarms) States(_ context.Context, names []string) (map[string]alarms.State, error) {
	out := make(map[string]alarms.State, len(names))
	for _, n := range names {
		out[n] = alarms.StateOK
	}
	return out, nil
}

// WaitReady returns nil at once.
func (OKAlarms) WaitReady(context.Context) error { return nil }

// Close does nothing.
func (OKAlarms) Close() error { return nil }
