package local

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/analysis/fleetsamples"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/controlengine"
	"github.com/shipwave/shipwave/shared/dynalite"
	hookrunner "github.com/shipwave/shipwave/shared/hooks/runner"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/rules"
	"github.com/shipwave/shipwave/shared/schedule"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/traffic/localproxy"
	"github.com/shipwave/shipwave/shared/triggers"
)

// Local ARNs: the account and region every ARN of the local stack uses.
const (
	Region  = "us-east-1"
	Account = "123456789012"
	// Table is the DynamoDB table name of the local stack.
	Table = "shipwave"
	// DefaultAPIAddr is where the local API listens unless told otherwise;
	// examples/local-demo.yaml's hooks point there.
	DefaultAPIAddr = "127.0.0.1:8081"
	// InitialVersion is what a local service runs before its first release.
	InitialVersion = "v1"
)

// Config configures a local stack.
type Config struct {
	// DataDir keeps DynamoDB's data between runs; empty means in memory.
	DataDir string
	// Specs are pipeline spec files to save (as new spec versions) at start.
	Specs []string
	// VirtualTime runs the engine on a virtual clock (waits and bakes take
	// no wall time); alarms still need real traffic.
	VirtualTime bool
	// TimeScale above 1 runs the engine's and the store's clock that many
	// times faster than real time: waits, bakes and leases shrink, while
	// traffic, alarm periods and load tests stay in real time. 0 means 1.
	TimeScale float64
	// Binary is the shipwave executable that fleet and load-test processes
	// run; required.
	Binary string
	// DynaliteBin is node_modules/.bin/dynalite; required.
	DynaliteBin string
	// APIAddr is the API's listen address; empty means DefaultAPIAddr.
	// Hook URLs of specs that point at DefaultAPIAddr's /hooks/ are
	// rewritten to it.
	APIAddr string
	// TrafficRPS is each service's background traffic; 0 means 20, a
	// negative value none.
	TrafficRPS int
	// Fleet builds the fleet and its alarms; nil means the default local
	// fleet.
	Fleet FleetFactory
	// Token is the API token clients must send as "Authorization: Bearer
	// TOKEN" on /v1 routes; empty means a fresh random one (Stack.Token).
	Token string
	// NotifySecret signs the generic webhooks of specs' notify lists
	// (package notify); empty signs with an empty key.
	NotifySecret string
	// Secrets configures the outside endpoints POST /webhook, /slack and
	// /alexa; an endpoint without its secret answers 503.
	Secrets Secrets
	// AlexaFetcher downloads Alexa certificate chains; nil means HTTPS
	// (trusting Secrets.AlexaTrustRoots as well as the system roots).
	AlexaFetcher auth.CertFetcher
	// SlackResponseHosts are where Slack follow-ups may be posted
	// (slack.Handler.ResponseHosts); nil means hooks.slack.com only.
	SlackResponseHosts []string
	// Logger receives the stack's logs; nil discards them.
	Logger *slog.Logger
	// Out receives human-readable progress; nil discards it.
	Out io.Writer
}

// Stack is a running local control plane.
type Stack struct {
	cfg     Config
	log     *slog.Logger
	db      *dynalite.Server
	store   *store.Store
	engine  *states.Engine
	svc     *control.Service
	fleet   Fleet
	alarms  AlarmEngine
	bus     *Bus
	trigger *triggers.Handler
	hookKey []byte
	token   string
	workDir string
	ownWork bool

	scaled     *scaledClock // set when TimeScale > 1
	releaseSM  *states.StateMachine
	releaseARN string

	apiLn  net.Listener
	apiSrv *http.Server

	stopSchedules context.CancelFunc
	schedulesDone chan struct{}
	stopNotify    context.CancelFunc
	notifyDone    chan struct{}

	mu        sync.Mutex
	execs     map[string]*states.Execution // release id → its execution
	services  map[string]*service          // service name → service
	byTarget  map[string]*service          // target name → service
	pipelines map[string]release.Pipeline
	scopes    map[string]string // artifact → the only stage its faults show in
	closed    bool
}

// service is one local service of the fleet.
type service struct {
	Name      string
	Target    string
	Pipeline  string
	Stage     string
	Wave      string
	Endpoint  string
	Instances int
}

// Start brings the stack up: dynalite, the table, the specs, the fleet and
// its alarms, the engine with every handler, the bus; then it reconciles
// releases a previous run left unfinished, and only then serves the API.
// A bad spec fails Start before anything is started or stored.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.APIAddr == "" {
		cfg.APIAddr = DefaultAPIAddr
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	if cfg.TrafficRPS == 0 {
		cfg.TrafficRPS = 20
	}
	if cfg.Fleet == nil {
		cfg.Fleet = DefaultFleet
	}
	if cfg.Binary == "" {
		return nil, errors.New("local stack: Config.Binary (the shipwave executable) is required")
	}
	specs, err := readSpecs(cfg.Specs)
	if err != nil {
		return nil, err
	}
	s := &Stack{
		cfg: cfg, log: cfg.Logger,
		execs: map[string]*states.Execution{}, services: map[string]*service{},
		byTarget: map[string]*service{}, pipelines: map[string]release.Pipeline{}, scopes: map[string]string{},
		bus: NewBus(cfg.Logger),
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	s.hookKey = make([]byte, 32)
	if _, err := rand.Read(s.hookKey); err != nil {
		return nil, fmt.Errorf("local stack: hook secret: %w", err)
	}
	if s.token = cfg.Token; s.token == "" {
		if s.token, err = NewToken(); err != nil {
			return nil, err
		}
	}
	if cfg.DataDir != "" {
		s.workDir = filepath.Join(cfg.DataDir, "work")
		if err := os.MkdirAll(s.workDir, 0o755); err != nil {
			return nil, fmt.Errorf("local stack: data dir: %w", err)
		}
	} else {
		if s.workDir, err = os.MkdirTemp("", "shipwave-local-"); err != nil {
			return nil, fmt.Errorf("local stack: work dir: %w", err)
		}
		s.ownWork = true
	}

	// The API's port is taken first: hook URLs are rewritten to it.
	if s.apiLn, err = net.Listen("tcp", cfg.APIAddr); err != nil {
		return nil, fmt.Errorf("local stack: API listen on %s: %w (choose another with --api)", cfg.APIAddr, err)
	}

	dbOpts := dynalite.Options{Bin: cfg.DynaliteBin}
	if cfg.DataDir != "" {
		dbOpts.DataDir = filepath.Join(cfg.DataDir, "dynamodb")
	}
	if s.db, err = dynalite.Start(ctx, dbOpts); err != nil {
		return nil, fmt.Errorf("local stack: %w", err)
	}
	client := dynalite.NewClient(s.db.Endpoint())
	if err := store.CreateTable(ctx, client, Table); err != nil {
		return nil, fmt.Errorf("local stack: %w", err)
	}
	var clock states.Clock = states.RealClock()
	switch {
	case cfg.VirtualTime:
		clock = states.NewVirtualClock(time.Now().UTC())
	case cfg.TimeScale > 1:
		s.scaled = newScaledClock(cfg.TimeScale)
		clock = s.scaled
	}
	s.store = store.New(client, Table, store.WithNow(clock.Now))
	fmt.Fprintf(cfg.Out, "dynamodb   dynalite on %s (%s)\n", s.db.Endpoint(), dataDesc(cfg.DataDir))

	for _, sp := range specs {
		p := rewriteHooks(sp.parsed, s.APIAddr())
		sv, err := s.store.SaveSpec(ctx, release.SpecVersion{Pipeline: p.Name, Source: sp.source, Parsed: p})
		if err != nil {
			return nil, fmt.Errorf("local stack: save spec %s: %w", sp.file, err)
		}
		fmt.Fprintf(cfg.Out, "spec       %s → pipeline %s version %d\n", sp.file, p.Name, sv.Version)
	}
	if err := s.loadPipelines(ctx); err != nil {
		return nil, err
	}

	if err := s.startFleet(ctx); err != nil {
		return nil, err
	}
	if err := s.startEngine(clock); err != nil {
		return nil, err
	}
	if err := s.startBus(); err != nil {
		return nil, err
	}

	if err := s.recoverOrphans(ctx); err != nil {
		return nil, err
	}
	s.startSchedules(clock)
	s.startNotifier()
	s.serveAPI()
	fmt.Fprintf(cfg.Out, "api        http://%s\n", s.APIAddr())
	return s, nil
}

type specFile struct {
	file   string
	source []byte
	parsed release.Pipeline
}

func readSpecs(files []string) ([]specFile, error) {
	var out []specFile
	var errs []error
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("spec %s: %w", f, err))
			continue
		}
		p, err := spec.Parse(f, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, specFile{file: f, source: src, parsed: p})
	}
	return out, errors.Join(errs...)
}

func dataDesc(dir string) string {
	if dir == "" {
		return "in memory"
	}
	return "data in " + dir
}

// rewriteHooks points HTTP hooks aimed at the default local API's /hooks/
// endpoints at the API's real address.
func rewriteHooks(p release.Pipeline, apiAddr string) release.Pipeline {
	fix := func(h *release.Hook) *release.Hook {
		if h == nil || h.HTTP == "" {
			return h
		}
		u, err := url.Parse(h.HTTP)
		if err != nil || u.Host != DefaultAPIAddr || !strings.HasPrefix(u.Path, "/hooks/") {
			return h
		}
		c := *h
		u.Host = apiAddr
		c.HTTP = u.String()
		return &c
	}
	fixAll := func(hs release.Hooks) release.Hooks {
		hs.PreTraffic, hs.PostTraffic = fix(hs.PreTraffic), fix(hs.PostTraffic)
		return hs
	}
	p.Hooks = fixAll(p.Hooks)
	stages := make([]release.Stage, len(p.Stages))
	for i, st := range p.Stages {
		waves := make([]release.Wave, len(st.Waves))
		for j, w := range st.Waves {
			w.Hooks = fixAll(w.Hooks)
			waves[j] = w
		}
		st.Waves = waves
		stages[i] = st
	}
	p.Stages = stages
	return p
}

// loadPipelines reads the latest spec of every stored pipeline.
func (s *Stack) loadPipelines(ctx context.Context) error {
	names, err := s.store.ListPipelines(ctx)
	if err != nil {
		return fmt.Errorf("local stack: list pipelines: %w", err)
	}
	for _, n := range names {
		sv, err := s.store.GetSpec(ctx, n, 0)
		if err != nil {
			return fmt.Errorf("local stack: spec of %s: %w", n, err)
		}
		s.pipelines[n] = sv.Parsed
	}
	return nil
}

// startFleet starts a service for every local target, running the last
// good version the store knows for it (or InitialVersion).
func (s *Stack) startFleet(ctx context.Context) error {
	var ps []release.Pipeline
	for _, n := range s.pipelineNames() {
		ps = append(ps, s.pipelines[n])
	}
	var err error
	s.fleet, s.alarms, err = s.cfg.Fleet(ctx, FleetSetup{
		Binary: s.cfg.Binary, Pipelines: ps, TimeScale: s.cfg.TimeScale, Logger: s.log,
		OnAlarm: s.onAlarm,
	})
	if err != nil {
		return fmt.Errorf("local stack: fleet: %w", err)
	}
	for _, p := range ps {
		for _, st := range p.Stages {
			for _, w := range st.Waves {
				for _, t := range w.Targets {
					if t.Type != release.TargetLocal {
						continue
					}
					name := t.Service
					if name == "" {
						name = t.Name
					}
					if _, dup := s.services[name]; dup {
						continue
					}
					version, knownGood := InitialVersion, ""
					if ts, err := s.store.GetTargetState(ctx, t.Name); err == nil && ts.Stable != "" {
						version, knownGood = ts.Stable, ts.KnownGood
					}
					instances := max(1, t.Instances)
					ep, err := s.fleet.AddService(ctx, name, instances, version)
					if err != nil {
						return fmt.Errorf("local stack: start service %s (%s): %w", name, version, err)
					}
					if knownGood != "" && knownGood != version {
						// A release was under way when the last run stopped:
						// its known-good version must be there for reconcile
						// to restore onto, as it was before the stop.
						if _, err := s.fleet.Launch(ctx, name, knownGood); err != nil {
							return fmt.Errorf("local stack: start %s's known-good version %s: %w", name, knownGood, err)
						}
					}
					sv := &service{Name: name, Target: t.Name, Pipeline: p.Name, Stage: st.Name, Wave: w.Name, Endpoint: ep, Instances: instances}
					s.services[name], s.byTarget[t.Name] = sv, sv
					if s.cfg.TrafficRPS > 0 {
						if err := s.fleet.StartTraffic(name, s.cfg.TrafficRPS); err != nil {
							return fmt.Errorf("local stack: traffic to %s: %w", name, err)
						}
					}
					fmt.Fprintf(s.cfg.Out, "service    %-14s %s on %s (%d instance(s))\n", name, version, ep, instances)
				}
			}
		}
	}
	if s.cfg.TrafficRPS > 0 && len(s.services) > 0 {
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		began := time.Now()
		if err := s.alarms.WaitReady(wctx); err != nil {
			return fmt.Errorf("local stack: alarms never got enough data: %w", err)
		}
		fmt.Fprintf(s.cfg.Out, "alarms     ready after %s of background traffic (%d rps per service)\n", time.Since(began).Round(100*time.Millisecond), s.cfg.TrafficRPS)
	}
	return nil
}

func (s *Stack) pipelineNames() []string {
	var names []string
	for n := range s.pipelines {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// startEngine registers the state machines with every Task resolved to the
// real handlers in-process (controlengine).
func (s *Stack) startEngine(clock states.Clock) error {
	shifter := localproxy.New(scopedFleet{Fleet: s.fleet, s: s})
	s.svc = &control.Service{
		Store:   s.store,
		Creator: s.store,
		Shifters: func(t release.Target) (control.Shifter, error) {
			if t.Type != release.TargetLocal {
				return nil, release.Errorf(release.ErrInvalid, "local stack: target %s has type %s; the local stack deploys only local targets", t.Name, t.Type)
			}
			return shifter, nil
		},
		Alarms:   s.alarms,
		Hooks:    hookrunner.New(hookrunner.Config{Secret: s.hookKey, Logger: s.log}),
		Requests: control.Requests(s.fleet),
		Windows:  control.WindowFunc(schedule.NextOpen),
		Now:      clock.Now,
		Logger:   s.log,
	}
	if s.scaled != nil {
		s.svc.Requests = scaledRequests{fleet: s.fleet, clock: s.scaled}
	}
	if m, ok := s.fleet.(fleetsamples.Metrics); ok {
		// Canary analysis reads the fleet's per-request samples, recorded
		// in wall-clock time.
		if s.scaled != nil {
			m = scaledMetrics{metrics: m, clock: s.scaled}
		}
		s.svc.Analysis = func(t release.Target) (analysis.Source, error) {
			return fleetsamples.New(m, serviceOf(t)), nil
		}
	}
	if f, ok := s.fleet.(syntheticFleet); ok {
		// Quiet canaries of analysis steps get synthetic requests.
		s.svc.Synthetic = newSyntheticTraffic(f, clock.Now, s.scaled)
	}
	eng, err := controlengine.New(states.Options{Clock: clock, Region: Region, Account: Account, Logger: s.log}, controlengine.Handlers{
		Service: s.svc, LoadTestAggregate: s.aggregateLoadTest, RunTask: states.TaskFunc(s.runLoadgen),
	})
	if err != nil {
		return fmt.Errorf("local stack: %w", err)
	}
	s.engine, s.releaseSM, s.releaseARN = eng.Engine, eng.Release, eng.ReleaseARN
	s.svc.Callbacks = s.engine
	return nil
}

// ControlRoutes routes the AWS deployment's EventBridge rules
// (shared/rules) to the handlers the control plane runs for them: trigger,
// alarmwatch and reconcile, as the deployed functions would; rules whose
// target has no local handler (e.g. ECR pushes) are left out. The local
// stack and the simulation both use it.
func ControlRoutes(trig *triggers.Handler, svc *control.Service) ([]Route, error) {
	handlers := map[string]func(context.Context, json.RawMessage) (any, error){
		"trigger": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev events.CloudWatchEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, release.Errorf(release.ErrInvalid, "trigger: %v", err)
			}
			return trig.Handle(ctx, ev)
		},
		"alarmwatch": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev events.CloudWatchEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, release.Errorf(release.ErrInvalid, "alarmwatch: %v", err)
			}
			c, err := alarms.ParseStateChange(ev)
			if err != nil {
				return nil, err
			}
			return svc.AlarmChanged(ctx, c)
		},
		"reconcile": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev struct {
				Detail control.ExecutionChange `json:"detail"`
			}
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, release.Errorf(release.ErrInvalid, "reconcile: %v", err)
			}
			return svc.Reconcile(ctx, ev.Detail)
		},
	}
	all, err := rules.All()
	if err != nil {
		return nil, err
	}
	var routes []Route
	for _, r := range all {
		if h, ok := handlers[r.Target]; ok && r.Enabled {
			routes = append(routes, Route{Rule: r.Name, Target: r.Target, Pattern: r, Handle: h})
		}
	}
	return routes, nil
}

// startBus routes the AWS deployment's EventBridge rules to the handlers.
func (s *Stack) startBus() error {
	s.trigger = &triggers.Handler{Specs: s.store, Releases: s.store, Starter: starter{s}, Now: s.svc.Now, Logger: s.log}
	routes, err := ControlRoutes(s.trigger, s.svc)
	if err != nil {
		return fmt.Errorf("local stack: %w", err)
	}
	s.bus.SetRoutes(routes...)
	return nil
}

// onAlarm puts an alarm state change on the bus.
func (s *Stack) onAlarm(ev events.CloudWatchEvent) {
	raw, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("encode alarm event", "error", err)
		return
	}
	s.bus.Publish(context.Background(), raw)
}

// starter starts release executions on the engine (sfn.Starter's local twin):
// one execution per release, named after it, whose end is reported on the
// bus as a Step Functions status change.
type starter struct{ s *Stack }

// Start implements triggers.Starter.
func (st starter) Start(ctx context.Context, r release.Release) (string, error) {
	return st.s.startRelease(ctx, r)
}

func (s *Stack) startRelease(ctx context.Context, r release.Release) (string, error) {
	name, err := executionName(r.ID)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.execs[r.ID]; ok {
		return x.ARN(), nil
	}
	if s.closed {
		return "", release.Errorf(release.ErrConflict, "local stack is shutting down")
	}
	input, err := json.Marshal(sfn.InputOf(r))
	if err != nil {
		return "", fmt.Errorf("start release %s: %w", r.ID, err)
	}
	x, err := s.engine.Start(ctx, s.releaseSM, states.StartInput{Name: name, Input: input, StateMachineArn: s.releaseARN})
	if err != nil {
		return "", fmt.Errorf("start release %s: %w", r.ID, err)
	}
	s.execs[r.ID] = x
	go s.watch(x)
	return x.ARN(), nil
}

// watch reports an execution's end as EventBridge's "Step Functions
// Execution Status Change" event.
func (s *Stack) watch(x *states.Execution) {
	<-x.Done()
	res := x.Status()
	ev := map[string]any{
		"version": "0", "id": newID(), "detail-type": "Step Functions Execution Status Change",
		"source": "aws.states", "account": Account, "region": Region,
		"time": time.Now().UTC().Format(time.RFC3339), "resources": []string{x.ARN()},
		"detail": map[string]any{
			"executionArn": x.ARN(), "stateMachineArn": x.StateMachineARN(), "name": x.Name(),
			"status": res.Status, "input": string(x.Input()), "error": res.Error, "cause": res.Cause,
			"startDate": x.StartDate().UnixMilli(), "stopDate": x.StopDate().UnixMilli(),
		},
	}
	raw, _ := json.Marshal(ev)
	if _, err := s.bus.Deliver(context.Background(), raw); err != nil {
		s.log.Error("reconcile after execution end", "execution", x.Name(), "error", err)
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// recoverOrphans reconciles every release a previous run left unfinished:
// its execution died with that run, so its targets go back to their last
// good versions and it is marked FAILED, before any new work is accepted.
func (s *Stack) recoverOrphans(ctx context.Context) error {
	for _, n := range s.pipelineNames() {
		active, err := s.store.ActiveReleases(ctx, n)
		if err != nil {
			return fmt.Errorf("local stack: active releases of %s: %w", n, err)
		}
		for _, r := range active {
			input, _ := json.Marshal(map[string]string{"releaseId": r.ID})
			name, _ := executionName(r.ID)
			res, err := s.svc.Reconcile(ctx, control.ExecutionChange{
				Name: name, Status: "ABORTED", Input: string(input),
				Error: "States.Aborted", Cause: "the local stack stopped while the release was running",
			})
			if err != nil {
				return fmt.Errorf("local stack: reconcile orphaned release %s: %w", r.ID, err)
			}
			fmt.Fprintf(s.cfg.Out, "reconciled %s (%s, was %s): %s\n", r.ID, r.Pipeline, r.Status, res.Action)
		}
	}
	return nil
}

// APIAddr returns the address the API listens on.
func (s *Stack) APIAddr() string { return s.apiLn.Addr().String() }

// URL returns the API's base URL.
func (s *Stack) URL() string { return "http://" + s.APIAddr() }

// Token returns the API token clients send as "Authorization: Bearer TOKEN".
func (s *Stack) Token() string { return s.token }

// Client returns an API client for the stack, carrying its token.
func (s *Stack) Client() *Client {
	c := NewClient(s.APIAddr())
	c.Token = s.token
	return c
}

// Store returns the stack's store.
func (s *Stack) Store() *store.Store { return s.store }

// Fleet returns the stack's fleet.
func (s *Stack) Fleet() Fleet { return s.fleet }

// Close stops everything the stack started: running executions are left
// as they are (a later start reconciles them), the fleet is stopped and
// dynalite exits.
func (s *Stack) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	var errs []error
	if s.stopSchedules != nil {
		s.stopSchedules()
		<-s.schedulesDone
	}
	if s.stopNotify != nil {
		s.stopNotify()
		<-s.notifyDone
	}
	if s.apiSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.apiSrv.Shutdown(ctx)
		cancel()
	} else if s.apiLn != nil {
		_ = s.apiLn.Close()
	}
	if s.alarms != nil {
		errs = append(errs, s.alarms.Close())
	}
	if s.fleet != nil {
		errs = append(errs, s.fleet.Close())
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.ownWork && s.workDir != "" {
		_ = os.RemoveAll(s.workDir)
	}
	return errors.Join(errs...)
}
