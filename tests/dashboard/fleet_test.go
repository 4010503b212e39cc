package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// memFleet is an in-process fleet: each service is one loopback server
// that answers for whichever version its route serves; a version whose
// artifact carries a fault answers /healthz with 500, so the verify hook
// fails it.
type memFleet struct {
	mu       sync.Mutex
	services map[string]*memService
}

type memService struct {
	srv      *httptest.Server
	route    traffic.Split
	versions map[string]bool
}

func newMemFleet() *memFleet { return &memFleet{services: map[string]*memService{}} }

func (f *memFleet) AddService(_ context.Context, name string, _ int, artifact string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms := &memService{route: traffic.Split{Stable: artifact}, versions: map[string]bool{artifact: true}}
	ms.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		v := ms.route.Stable
		if ms.route.Weight == 100 {
			v = ms.route.Candidate
		}
		f.mu.Unlock()
		if strings.Contains(v, "+") {
			w.WriteHeader(http.StatusInternalServerError)
		}
		fmt.Fprintf(w, `{"version":%q}`, v)
	}))
	f.services[name] = ms
	return ms.srv.URL, nil
}

func (f *memFleet) service(name string) (*memService, error) {
	ms, ok := f.services[name]
	if !ok {
		return nil, release.Errorf(release.ErrNotFound, "service %s", name)
	}
	return ms, nil
}

func (f *memFleet) Launch(_ context.Context, service, artifact string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms, err := f.service(service)
	if err != nil {
		return "", err
	}
	ms.versions[artifact] = true
	return artifact, nil
}

func (f *memFleet) Route(_ context.Context, service string) (traffic.Split, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms, err := f.service(service)
	if err != nil {
		return traffic.Split{}, err
	}
	return ms.route, nil
}

func (f *memFleet) SetRoute(_ context.Context, service string, s traffic.Split) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms, err := f.service(service)
	if err != nil {
		return err
	}
	ms.route = s.Settled()
	return nil
}

func (f *memFleet) Serving(_ context.Context, service, version string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms, err := f.service(service)
	if err != nil || !ms.versions[version] {
		return release.Errorf(release.ErrNotFound, "service %s version %s", service, version)
	}
	return nil
}

func (f *memFleet) CandidateRequests(context.Context, release.Target, string, time.Time) (int64, error) {
	return 1000, nil
}

func (f *memFleet) StartTraffic(string, int) error { return nil }

func (f *memFleet) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ms := range f.services {
		ms.srv.Close()
	}
	return nil
}

// okAlarms reports every alarm OK.
type okAlarms struct{}

func (okAlarms) States(_ context.Context, names []string) (map[string]alarms.State, error) {
	out := map[string]alarms.State{}
	for _, n := range names {
		out[n] = alarms.StateOK
	}
	return out, nil
}

func (okAlarms) WaitReady(context.Context) error { return nil }
func (okAlarms) Close() error                    { return nil }
