package fleet

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// VersionHeader is the response header in which the proxy names the version
// that served a request.
const VersionHeader = "X-Shipwave-Version"

// maxRunning is how many versions a service keeps running: those routed,
// plus the most recently routed other one as a warm standby for rollback.
const maxRunning = 2

// Service is one service of the fleet: its proxy, versions and metrics.
type Service struct {
	f         *Fleet
	name      string
	instances int
	metrics   *series
	synthetic *series // synthetic requests (SyntheticHeader), apart

	ops sync.Mutex // serializes Launch, SetRoute and close

	mu       sync.Mutex // guards versions, seq and up
	versions map[string]*version
	seq      int
	up       bool

	route   atomic.Pointer[routeTable]
	counter atomic.Uint64

	ln        net.Listener
	srv       *http.Server
	transport *http.Transport
	stops     sync.WaitGroup // background instance stops

	trafficMu sync.Mutex
	gen       *generator
	synth     *generator
}

// version is one launched artifact; procs is nil while it is stopped.
type version struct {
	id    string
	art   Artifact
	procs []*instance
	used  int // s.seq when last launched or routed; reap stops the least recent
}

// backend is an immutable snapshot of a routed version's instances.
type backend struct {
	version string
	urls    []*url.URL
	rr      atomic.Uint64
}

type routeTable struct {
	split       traffic.Split // Settled
	stable, can *backend
	gen         int
}

type ctxKey struct{}

func newService(f *Fleet, name string, instances int) *Service {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return &Service{
		f: f, name: name, instances: instances,
		metrics:   newSeries(f.cfg.Retention, h.Sum64()),
		synthetic: newSeries(f.cfg.Retention, ^h.Sum64()),
		versions:  map[string]*version{},
		transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second, ResponseHeaderTimeout: 30 * time.Second},
	}
}

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

// Endpoint returns the proxy's base URL, e.g. http://127.0.0.1:41234.
func (s *Service) Endpoint() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

func (s *Service) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up
}

func (s *Service) init(ctx context.Context, art Artifact) error {
	s.ops.Lock()
	defer s.ops.Unlock()
	ln, err := listenLoopback()
	if err != nil {
		return fmt.Errorf("proxy listen: %w", err)
	}
	s.ln = ln
	v, err := s.launch(ctx, art)
	if err != nil {
		return err
	}
	s.publish(traffic.Split{Stable: v.id})
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(pr.In.Context().Value(ctxKey{}).(*url.URL))
			pr.SetXForwarded()
		},
		Transport: s.transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.f.cfg.Logger.Debug("proxy error", "service", s.name, "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	s.srv = &http.Server{Handler: s.handler(rp), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	s.mu.Lock()
	s.up = true
	s.mu.Unlock()
	return nil
}

// statusRecorder captures the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// pickCandidate spreads weight percent of requests evenly: exactly weight
// of every 100 consecutive requests go to the candidate.
func pickCandidate(n uint64, weight int) bool {
	w := uint64(weight)
	return (n+1)*w/100 > n*w/100
}

func (s *Service) handler(rp *httputil.ReverseProxy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := s.route.Load()
		b := rt.stable
		tag := r.Header.Get(SyntheticHeader)
		synthetic := tag != ""
		switch {
		case synthetic:
			if rt.can != nil && tag != SyntheticBaseline {
				b = rt.can
			}
		case rt.can != nil && pickCandidate(s.counter.Add(1)-1, rt.split.Weight):
			b = rt.can
		}
		u := b.urls[int(b.rr.Add(1)-1)%len(b.urls)]
		w.Header().Set(VersionHeader, b.version)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		rp.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, u)))
		if rec.code == 0 {
			rec.code = http.StatusOK
		}
		m := s.metrics
		if synthetic {
			m = s.synthetic
		}
		m.record(b.version, s.f.cfg.Now(), rec.code, time.Since(start))
	})
}

// launch starts art's instances unless they run; callers hold s.ops.
func (s *Service) launch(ctx context.Context, art Artifact) (*version, error) {
	id := art.String()
	s.mu.Lock()
	v := s.versions[id]
	fresh := v == nil
	if fresh {
		v = &version{id: id, art: art}
		s.versions[id] = v
	}
	running := v.procs != nil
	s.seq++
	seq := s.seq
	v.used = seq
	s.mu.Unlock()
	if running {
		return v, nil
	}
	procs := make([]*instance, s.instances)
	errs := make([]error, s.instances)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i], errs[i] = s.f.start(ctx, s.name, art, fmt.Sprintf("%s-%s-%d.%d", s.name, art.Version, seq, i+1))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, p := range procs {
			if p != nil {
				s.f.stop(p)
			}
		}
		if fresh { // a version that never ran was never launched
			s.mu.Lock()
			delete(s.versions, id)
			s.mu.Unlock()
		}
		var le *LaunchError
		if errors.As(err, &le) {
			return nil, le
		}
		return nil, err
	}
	s.mu.Lock()
	v.procs = procs
	s.mu.Unlock()
	return v, nil
}

// publish installs a route to sp's versions, which must be running; callers
// hold s.ops.
func (s *Service) publish(sp traffic.Split) {
	sp = sp.Settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.route.Load()
	rt := &routeTable{split: sp}
	if old != nil {
		rt.gen = old.gen + 1
	}
	s.seq++
	snap := func(id string) *backend {
		v := s.versions[id]
		v.used = s.seq
		b := &backend{version: id}
		for _, p := range v.procs {
			b.urls = append(b.urls, p.url)
		}
		return b
	}
	rt.stable = snap(sp.Stable)
	if sp.Weight > 0 {
		rt.can = snap(sp.Candidate)
	}
	s.route.Store(rt)
}

// reap stops running versions beyond maxRunning, least recently routed
// first, never a routed one; callers hold s.ops. Stops run in the
// background so a rollback's route change returns at once.
func (s *Service) reap() {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.route.Load()
	var running []*version
	for _, v := range s.versions {
		if v.procs != nil {
			running = append(running, v)
		}
	}
	if len(running) <= maxRunning {
		return
	}
	routed := func(v *version) bool {
		return v.id == rt.split.Stable || (rt.split.Weight > 0 && v.id == rt.split.Candidate)
	}
	sort.Slice(running, func(i, j int) bool { return running[i].used < running[j].used })
	for _, v := range running {
		if len(running) <= maxRunning {
			break
		}
		if routed(v) {
			continue
		}
		procs := v.procs
		v.procs = nil
		running = remove(running, v)
		s.f.cfg.Logger.Info("stopping version", "service", s.name, "version", v.id)
		for _, p := range procs {
			s.stops.Add(1)
			go func() {
				defer s.stops.Done()
				s.f.stop(p)
			}()
		}
	}
}

func remove(vs []*version, v *version) []*version {
	out := vs[:0:0]
	for _, x := range vs {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// Launch starts artifact's instances unless they already run and returns
// its version id; see Fleet.Launch.
func (s *Service) Launch(ctx context.Context, artifact string) (string, error) {
	art, err := ParseArtifact(artifact)
	if err != nil {
		return "", fmt.Errorf("launch on %s: %w", s.name, err)
	}
	s.ops.Lock()
	defer s.ops.Unlock()
	if !s.ready() {
		return "", release.Errorf(release.ErrNotFound, "service %s not found", s.name)
	}
	v, err := s.launch(ctx, art)
	if err != nil {
		return "", err
	}
	s.f.cfg.Logger.Info("version launched", "service", s.name, "version", v.id)
	s.reap()
	return v.id, nil
}

// Route returns the live route in Settled form.
func (s *Service) Route() traffic.Split { return s.route.Load().split }

// SetRoute atomically replaces the route; see Fleet.SetRoute. A launched
// version that was stopped since is started again first.
func (s *Service) SetRoute(ctx context.Context, sp traffic.Split) error {
	if err := sp.Validate(); err != nil {
		return fmt.Errorf("route %s: %w", s.name, err)
	}
	sp = sp.Settled()
	s.ops.Lock()
	defer s.ops.Unlock()
	if !s.ready() {
		return release.Errorf(release.ErrNotFound, "service %s not found", s.name)
	}
	ids := []string{sp.Stable}
	if sp.Weight > 0 {
		ids = append(ids, sp.Candidate)
	}
	var vs []*version
	s.mu.Lock()
	for _, id := range ids {
		v := s.versions[id]
		if v == nil {
			s.mu.Unlock()
			return release.Errorf(release.ErrInvalid, "route %s: version %s was never launched", s.name, id)
		}
		vs = append(vs, v)
	}
	s.mu.Unlock()
	for _, v := range vs {
		if _, err := s.launch(ctx, v.art); err != nil {
			return fmt.Errorf("route %s: restart %s: %w", s.name, v.id, err)
		}
	}
	s.publish(sp)
	s.f.cfg.Logger.Info("route set", "service", s.name, "route", sp.String())
	s.reap()
	return nil
}

// Metrics returns what the proxy recorded for version (all when empty) in
// [from, to).
func (s *Service) Metrics(version string, from, to time.Time) Datapoint {
	return s.metrics.datapoint(version, from, to)
}

// MetricsByVersion returns a datapoint per version with requests in
// [from, to).
func (s *Service) MetricsByVersion(from, to time.Time) map[string]Datapoint {
	return s.metrics.byVersion(from, to)
}

// Processes lists the running instances, by version then instance.
func (s *Service) Processes() []Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Process
	for _, v := range s.versions {
		for _, p := range v.procs {
			out = append(out, Process{Service: s.name, Version: v.id, Instance: p.id, PID: p.cmd.Process.Pid, Addr: p.url.Host})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Version != out[j].Version {
			return out[i].Version < out[j].Version
		}
		return out[i].Instance < out[j].Instance
	})
	return out
}

// close stops traffic, the proxy and every instance, and waits for them.
func (s *Service) close() error {
	s.StopTraffic()
	s.StopSynthetic()
	s.mu.Lock()
	s.up = false
	s.mu.Unlock()
	s.ops.Lock()
	defer s.ops.Unlock()
	var err error
	if s.srv != nil {
		err = s.srv.Close()
	} else if s.ln != nil {
		err = s.ln.Close()
	}
	s.mu.Lock()
	var procs []*instance
	for _, v := range s.versions {
		procs = append(procs, v.procs...)
		v.procs = nil
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.f.stop(p)
		}()
	}
	wg.Wait()
	s.stops.Wait()
	s.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("close service %s: %w", s.name, err)
	}
	return nil
}

// Serving returns nil when version has at least one live instance that
// answers its health probe (GET /healthz with 2xx). A launched version
// whose instances all exited (or were stopped to save room) is started
// again first, as an orchestrator would. It returns ErrNotFound for a
// version never launched and an ErrConflict-kind error when none of its
// instances is healthy.
func (s *Service) Serving(ctx context.Context, versionID string) error {
	s.ops.Lock()
	defer s.ops.Unlock()
	if !s.ready() {
		return release.Errorf(release.ErrNotFound, "service %s not found", s.name)
	}
	s.mu.Lock()
	v := s.versions[versionID]
	var live []*instance
	if v != nil {
		for _, p := range v.procs {
			select {
			case <-p.done:
			default:
				live = append(live, p)
			}
		}
		if len(live) == 0 {
			for _, p := range v.procs {
				s.stops.Add(1)
				go func() {
					defer s.stops.Done()
					s.f.stop(p)
				}()
			}
			v.procs = nil
		}
	}
	s.mu.Unlock()
	if v == nil {
		return release.Errorf(release.ErrNotFound, "service %s: version %s was never launched", s.name, versionID)
	}
	if len(live) == 0 {
		nv, err := s.launch(ctx, v.art)
		if err != nil {
			return release.Errorf(release.ErrConflict, "service %s: version %s has no live instance and does not start again: %v", s.name, versionID, err)
		}
		s.mu.Lock()
		live = append(live, nv.procs...)
		s.mu.Unlock()
	}
	client := &http.Client{Timeout: 2 * time.Second}
	var errs []error
	for _, p := range live {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url.JoinPath("/healthz").String(), nil)
		if err != nil {
			return fmt.Errorf("service %s: health probe: %w", s.name, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("instance %s: %w", p.id, err))
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		errs = append(errs, fmt.Errorf("instance %s: health probe answered %d", p.id, resp.StatusCode))
	}
	return release.Errorf(release.ErrConflict, "service %s: no healthy instance of %s: %v", s.name, versionID, errors.Join(errs...))
}
