package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/localproxy"
)

// Config configures a Fleet.
type Config struct {
	// Binary is the shipwave executable whose demo-service subcommand runs
	// the instances (os.Executable() in the CLI).
	Binary string
	// Logger receives instance exits and route changes; nil discards.
	Logger *slog.Logger
	// Now stamps recorded metrics; nil means time.Now.
	Now func() time.Time
	// StartTimeout bounds an instance's start-up until healthy (default 10s).
	StartTimeout time.Duration
	// StopTimeout is how long a stopped instance may drain before it is
	// killed (default 3s).
	StopTimeout time.Duration
	// Retention is how long metrics are kept (default 10m).
	Retention time.Duration
	// MaxInstances bounds instances per service (default 16).
	MaxInstances int
	// BaseLatency gives every instance a healthy per-request latency (a
	// lognormal with this median, demo-service --base-latency) that the
	// latency=+P% fault scales; 0 means none.
	BaseLatency time.Duration
}

// Fleet runs services of demo-service processes behind weighted proxies.
// It is safe for concurrent use.
type Fleet struct {
	cfg    Config
	health *http.Client

	mu       sync.Mutex
	services map[string]*Service
	closed   bool
}

var _ localproxy.Proxy = (*Fleet)(nil)

// New returns an empty Fleet.
func New(cfg Config) *Fleet {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 3 * time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 10 * time.Minute
	}
	if cfg.MaxInstances <= 0 {
		cfg.MaxInstances = 16
	}
	return &Fleet{
		cfg:      cfg,
		health:   &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		services: map[string]*Service{},
	}
}

// AddService starts a proxy for a new service on a free loopback port,
// launches instances of initialArtifact behind it and routes all traffic to
// them. It returns ErrInvalid for a bad name, count or artifact (or an
// artifact whose instances do not come up, as a *LaunchError), ErrConflict
// for a name already in use and an error after Close.
func (f *Fleet) AddService(ctx context.Context, name string, instances int, initialArtifact string) (*Service, error) {
	switch {
	case name == "":
		return nil, release.Errorf(release.ErrInvalid, "add service: name is empty")
	case instances < 1 || instances > f.cfg.MaxInstances:
		return nil, release.Errorf(release.ErrInvalid, "add service %s: instances %d is outside 1–%d", name, instances, f.cfg.MaxInstances)
	case f.cfg.Binary == "":
		return nil, release.Errorf(release.ErrInvalid, "add service %s: fleet has no demo-service binary (Config.Binary)", name)
	}
	art, err := ParseArtifact(initialArtifact)
	if err != nil {
		return nil, fmt.Errorf("add service %s: %w", name, err)
	}
	f.mu.Lock()
	switch {
	case f.closed:
		f.mu.Unlock()
		return nil, fmt.Errorf("add service %s: fleet is closed", name)
	case f.services[name] != nil:
		f.mu.Unlock()
		return nil, release.Errorf(release.ErrConflict, "add service %s: already exists", name)
	}
	s := newService(f, name, instances)
	f.services[name] = s // reserve the name
	f.mu.Unlock()

	if err := s.init(ctx, art); err != nil {
		f.mu.Lock()
		delete(f.services, name)
		f.mu.Unlock()
		_ = s.close() // the launch error says more
		return nil, fmt.Errorf("add service %s: %w", name, err)
	}
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed { // Close ran meanwhile and stops s
		_ = s.close()
		return nil, fmt.Errorf("add service %s: fleet is closed", name)
	}
	f.cfg.Logger.Info("service up", "service", name, "endpoint", s.Endpoint(), "version", art.String(), "instances", instances)
	return s, nil
}

// Service returns the named service, or an ErrNotFound-kind error.
func (f *Fleet) Service(name string) (*Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[name]
	if s == nil || !s.ready() {
		return nil, release.Errorf(release.ErrNotFound, "service %s not found", name)
	}
	return s, nil
}

// Services returns the names of the fleet's services, sorted.
func (f *Fleet) Services() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n, s := range f.services {
		if s.ready() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Launch starts service's instances running artifact unless they already
// run, and returns the version id (the artifact's canonical form). It
// returns ErrNotFound for an unknown service and ErrInvalid for a bad
// artifact or one whose instances do not come up (*LaunchError).
func (f *Fleet) Launch(ctx context.Context, service, artifact string) (string, error) {
	s, err := f.Service(service)
	if err != nil {
		return "", err
	}
	return s.Launch(ctx, artifact)
}

// Route returns service's live route in Settled form, or ErrNotFound.
func (f *Fleet) Route(_ context.Context, service string) (traffic.Split, error) {
	s, err := f.Service(service)
	if err != nil {
		return traffic.Split{}, err
	}
	return s.Route(), nil
}

// SetRoute atomically replaces service's route. It returns ErrNotFound for
// an unknown service and ErrInvalid for an invalid split or a version never
// launched.
func (f *Fleet) SetRoute(ctx context.Context, service string, sp traffic.Split) error {
	s, err := f.Service(service)
	if err != nil {
		return err
	}
	return s.SetRoute(ctx, sp)
}

// Serving checks that service's version has a live, healthy instance; see
// Service.Serving.
func (f *Fleet) Serving(ctx context.Context, service, version string) error {
	s, err := f.Service(service)
	if err != nil {
		return err
	}
	return s.Serving(ctx, version)
}

// Metrics returns what service's proxy recorded for version (every version
// when empty) in [from, to). It returns ErrNotFound for an unknown service.
func (f *Fleet) Metrics(service, version string, from, to time.Time) (Datapoint, error) {
	s, err := f.Service(service)
	if err != nil {
		return Datapoint{}, err
	}
	return s.Metrics(version, from, to), nil
}

// MetricsByVersion returns one datapoint per version of service that
// completed requests in [from, to). It returns ErrNotFound for an unknown
// service.
func (f *Fleet) MetricsByVersion(service string, from, to time.Time) (map[string]Datapoint, error) {
	s, err := f.Service(service)
	if err != nil {
		return nil, err
	}
	return s.MetricsByVersion(from, to), nil
}

// CandidateRequests counts the requests candidate served on target's service
// since the given time (whole Resolution buckets from since on, so it never
// over-counts). It fits control.Service.Requests and returns ErrInvalid for
// a target that is not local and ErrNotFound for an unknown service.
func (f *Fleet) CandidateRequests(_ context.Context, t release.Target, candidate string, since time.Time) (int64, error) {
	name, err := serviceOf(t)
	if err != nil {
		return 0, err
	}
	s, err := f.Service(name)
	if err != nil {
		return 0, fmt.Errorf("count requests on %s: %w", candidate, err)
	}
	from := since.Truncate(Resolution)
	if from.Before(since) {
		from = from.Add(Resolution)
	}
	to := f.cfg.Now().Add(Resolution)
	return s.Metrics(candidate, from, to).Requests, nil
}

// serviceOf names the fleet service of a local target, as localproxy does.
func serviceOf(t release.Target) (string, error) {
	if t.Type != release.TargetLocal {
		return "", release.Errorf(release.ErrInvalid, "target %s has type %q, want %q", t.Name, t.Type, release.TargetLocal)
	}
	if t.Service != "" {
		return t.Service, nil
	}
	if t.Name == "" {
		return "", release.Errorf(release.ErrInvalid, "local target needs a name or service")
	}
	return t.Name, nil
}

// StartTraffic starts a background generator sending rps GET / requests per
// second to service's proxy, replacing any running one. It returns
// ErrNotFound for an unknown service and ErrInvalid for rps outside 1–10000.
func (f *Fleet) StartTraffic(service string, rps int) error {
	s, err := f.Service(service)
	if err != nil {
		return err
	}
	return s.StartTraffic(rps)
}

// StopTraffic stops service's background generator, if any. It returns
// ErrNotFound for an unknown service.
func (f *Fleet) StopTraffic(service string) error {
	s, err := f.Service(service)
	if err != nil {
		return err
	}
	s.StopTraffic()
	return nil
}

// Close stops every generator, proxy and instance (whole process groups)
// and waits until all processes are reaped. The fleet is unusable after.
func (f *Fleet) Close() error {
	f.mu.Lock()
	f.closed = true
	svcs := make([]*Service, 0, len(f.services))
	for _, s := range f.services {
		svcs = append(svcs, s)
	}
	f.services = map[string]*Service{}
	f.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(svcs))
	for i, s := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.close()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
