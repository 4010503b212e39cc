package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/controlengine"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/schedule"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/tasks"
	"github.com/shipwave/shipwave/shared/store/memstore"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/triggers"
)

// Options configure Run.
type Options struct {
	// Store makes the store a history runs on, reading time from now; nil
	// means a fresh in-memory store.
	Store func(now func() time.Time) (Store, error)
	// Undo, when set, performs ActUndo actions: the break-glass restore of
	// a release's targets (the hook for `shipwave release undo`).
	Undo func(ctx context.Context, svc *control.Service, releaseID, actor string) error
	// WallTimeout bounds one history in real time; 0 means 30s.
	WallTimeout time.Duration
	Logger      *slog.Logger
}

// History is what happened in one run of a scenario.
type History struct {
	Scenario *Scenario
	Pipeline release.Pipeline
	// IDs are the release ids by push (index into Scenario.Releases); ""
	// when the push created none.
	IDs []string
	// Releases are every release of the pipeline in the store at the end,
	// and Events their logs.
	Releases map[string]release.Release
	Events   map[string][]release.Event
	WorldLog []string
	End      time.Time
	// Stuck says why the history did not end on its own ("" when it did).
	Stuck string

	final      map[string]traffic.Split // target → live split at the end
	serving    map[string]error         // target → Serving(live version) at the end
	crashedAt  map[string]time.Time     // target → when its live version crashed (zero: it did not)
	shifts     []shiftRec
	restores   []shiftRec
	promotions []promoRec
	endAt      map[string]time.Time // release id → when first seen terminal
	rejected   map[string]bool      // release ids a person rejected
	violations []Violation          // found while the history ran
	commits    map[string]string    // commit → release id
	attempts   []attempt
}

// Run plays a scenario and returns its history. An error means the
// harness itself could not run (a bad generated spec, a store that cannot
// start); everything the code under test does wrong is in the history.
func Run(ctx context.Context, sc *Scenario, opts Options) (*History, error) {
	if opts.WallTimeout <= 0 {
		opts.WallTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p, err := spec.Parse("sim.yaml", []byte(sc.Spec))
	if err != nil {
		return nil, fmt.Errorf("sim seed %d: generated spec: %w\n%s", sc.Seed, err, sc.Spec)
	}
	clk := states.NewVirtualClock(sc.Start)
	var st Store = memstore.New(memstore.WithNow(clk.Now))
	if opts.Store != nil {
		if st, err = opts.Store(clk.Now); err != nil {
			return nil, fmt.Errorf("sim seed %d: store: %w", sc.Seed, err)
		}
	}
	if _, err := st.SaveSpec(ctx, release.SpecVersion{Pipeline: p.Name, Source: []byte(sc.Spec), Parsed: p}); err != nil {
		return nil, fmt.Errorf("sim seed %d: save spec: %w", sc.Seed, err)
	}
	r := &runner{
		ctx: context.WithoutCancel(ctx), sc: sc, opts: opts, p: p, clk: clk, store: st,
		w: newWorld(sc, clk), endCh: make(chan struct{}),
		commits: map[string]string{}, endAt: map[string]time.Time{}, rejected: map[string]bool{},
	}
	r.w.onAlarm = r.deliverAlarm
	r.w.check = r.checkShift
	clk.SetQuiet(r.quiet)
	cur, err := r.newPlane()
	if err != nil {
		return nil, err
	}
	r.cur = cur
	r.schedule()

	// Kick the clock: it moves when its activities park.
	clk.Spawn()
	clk.Park()
	timer := time.NewTimer(opts.WallTimeout)
	defer timer.Stop()
	select {
	case <-r.endCh:
	case <-timer.C:
		r.finish(fmt.Sprintf("still running after %s of real time (deadlocked or too slow)", opts.WallTimeout))
	case <-ctx.Done():
		r.finish("cancelled: " + ctx.Err().Error())
	}
	h := r.collect()
	r.teardown()
	return h, nil
}

type runner struct {
	ctx   context.Context
	sc    *Scenario
	opts  Options
	p     release.Pipeline
	clk   *states.VirtualClock
	store Store
	w     *world

	// mu guards the fields below; it is a leaf lock (nothing else is locked
	// while it is held).
	mu        sync.Mutex
	cur       *plane
	planes    []*plane
	execs     []*tracked
	pending   int // scheduled pushes and actions not yet run
	waiting   int // parents parked waiting for a nested execution
	events    int // events stored so far, over all releases
	ended     bool
	stuck     string
	endCh     chan struct{}
	commits   map[string]string // commit → release id
	endAt     map[string]time.Time
	rejected  map[string]bool
	sampled   []Violation
	attempts  []attempt // deploys a release began (its Lock task ran)
	seenViols map[string]bool
}

// plane is one generation of the control plane: an engine, its handlers and
// its event bus. A crash kills the generation; the store and the world
// live on.
type plane struct {
	gen   int
	dead  atomic.Bool
	store *genStore
	svc   *control.Service
	eng   *controlengine.Engine
	bus   *local.Bus
	mu    sync.Mutex
	execs map[string]*states.Execution // release id → execution
	all   []*states.Execution
}

// attempt is a release beginning to deploy a target.
type attempt struct{ Release, Target string }

type tracked struct {
	x       *states.Execution
	p       *plane
	child   bool
	watched bool
}

// lockedRand is a seeded random source safe for the engine's goroutines.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) Float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

func (r *runner) newPlane() (*plane, error) {
	r.mu.Lock()
	p := &plane{gen: len(r.planes) + 1, execs: map[string]*states.Execution{}}
	r.planes = append(r.planes, p)
	r.mu.Unlock()
	p.store = &genStore{s: r.store, dead: &p.dead, appended: func() { r.appended(p) }}
	gw := &genWorld{w: r.w, dead: &p.dead}
	p.svc = &control.Service{
		Store:   p.store,
		Creator: p.store,
		Shifters: func(t release.Target) (control.Shifter, error) {
			if t.Type != release.TargetLocal {
				return nil, release.Errorf(release.ErrInvalid, "sim: target %s has type %s", t.Name, t.Type)
			}
			return gw, nil
		},
		Alarms:   gw,
		Hooks:    gw,
		Requests: gw,
		Windows:  control.WindowFunc(schedule.NextOpen),
		Now:      r.clk.Now,
		Logger:   r.opts.Logger,
	}
	eng, err := controlengine.New(states.Options{
		Clock: r.clk, Logger: r.opts.Logger, History: states.HistoryCount, RetainFinished: -1,
		Region: local.Region, Account: local.Account,
		Random: &lockedRand{r: rand.New(rand.NewPCG(r.sc.Seed, uint64(p.gen)))},
	}, controlengine.Handlers{
		Service:           p.svc,
		LoadTestAggregate: r.aggregate(p),
		RunTask: states.TaskFunc(func(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
			return json.RawMessage(`{"LastStatus":"STOPPED","StopCode":"EssentialContainerExited","Containers":[{"Name":"loadgen","ExitCode":0}]}`), nil
		}),
		WrapStarter: func(st tasks.Starter) tasks.Starter { return &childStarter{Starter: st, r: r, p: p} },
		Wrap: func(function string, next controlengine.Invoke) controlengine.Invoke {
			switch function {
			case "lock":
				return r.lock(next)
			case "finalize":
				return r.finalize(next)
			}
			return next
		},
	})
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	p.eng = eng
	p.svc.Callbacks = eng.Engine
	trig := &triggers.Handler{Specs: p.store, Releases: p.store, Starter: starter{r: r, p: p}, Now: r.clk.Now, Logger: r.opts.Logger}
	routes, err := local.ControlRoutes(trig, p.svc)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	p.bus = local.NewBus(r.opts.Logger, routes...)
	return p, nil
}

func (r *runner) current() *plane {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// starter starts release executions on one plane's engine, once per release.
type starter struct {
	r *runner
	p *plane
}

func (s starter) Start(ctx context.Context, rel release.Release) (string, error) {
	p := s.p
	if p.dead.Load() {
		return "", errCrashed
	}
	// Record which release a commit belongs to before the execution
	// starts: its first shift can come before Start returns, and the
	// lock check reads this map.
	s.r.mu.Lock()
	s.r.commits[rel.Version] = rel.ID
	s.r.mu.Unlock()
	p.mu.Lock()
	if x, ok := p.execs[rel.ID]; ok {
		p.mu.Unlock()
		return x.ARN(), nil
	}
	input, _ := json.Marshal(sfn.InputOf(rel))
	x, err := p.eng.Start(ctx, p.eng.Release, states.StartInput{Name: rel.ID, Input: input, StateMachineArn: p.eng.ReleaseARN})
	if err != nil {
		p.mu.Unlock()
		return "", fmt.Errorf("start release %s: %w", rel.ID, err)
	}
	p.execs[rel.ID] = x
	p.mu.Unlock()
	s.r.track(p, x, false)
	return x.ARN(), nil
}

// childStarter starts nested executions for the startExecution Tasks and
// tracks them. Its Clock counts parents parked waiting for a child (the
// .sync patterns), so the quiet hook can hold time while a child has ended
// and its parent has not resumed yet — the engine does not count that
// parent as an activity in between.
type childStarter struct {
	tasks.Starter
	r *runner
	p *plane
}

func (c *childStarter) Start(ctx context.Context, sm *states.StateMachine, in states.StartInput) (*states.Execution, error) {
	x, err := c.Starter.Start(ctx, sm, in)
	if err == nil {
		c.r.track(c.p, x, true)
	}
	return x, err
}

func (c *childStarter) Clock() states.Clock { return waitClock{VirtualClock: c.r.clk, r: c.r} }

type waitClock struct {
	*states.VirtualClock
	r *runner
}

func (w waitClock) Park() {
	w.r.mu.Lock()
	w.r.waiting++
	w.r.mu.Unlock()
	w.VirtualClock.Park()
}

func (w waitClock) Unpark() {
	w.VirtualClock.Unpark()
	w.r.mu.Lock()
	w.r.waiting--
	w.r.mu.Unlock()
}

// track watches an execution: when it ends, its status change goes on the
// plane's bus (reconcile's rule picks what it needs), as EventBridge does.
func (r *runner) track(p *plane, x *states.Execution, child bool) {
	t := &tracked{x: x, p: p, child: child}
	r.mu.Lock()
	r.execs = append(r.execs, t)
	r.mu.Unlock()
	p.mu.Lock()
	p.all = append(p.all, x)
	p.mu.Unlock()
	go func() {
		<-x.Done()
		r.clk.Spawn()
		r.mu.Lock()
		t.watched = true
		ended := r.ended
		r.mu.Unlock()
		if !p.dead.Load() && !ended {
			res := x.Status()
			ev := map[string]any{
				"version": "0", "id": "sfn-" + x.Name(), "detail-type": "Step Functions Execution Status Change",
				"source": "aws.states", "account": local.Account, "region": local.Region,
				"time": r.clk.Now().Format(time.RFC3339), "resources": []string{x.ARN()},
				"detail": map[string]any{
					"executionArn": x.ARN(), "stateMachineArn": x.StateMachineARN(), "name": x.Name(),
					"status": res.Status, "input": string(x.Input()), "error": res.Error, "cause": res.Cause,
					"startDate": x.StartDate().UnixMilli(), "stopDate": x.StopDate().UnixMilli(),
				},
			}
			raw, _ := json.Marshal(ev)
			ds, err := p.bus.Deliver(r.ctx, raw)
			if res.Status != states.StatusSucceeded || len(ds) > 0 {
				r.w.mu.Lock()
				r.w.logf("execution %s ended %s %s; delivered to %d rule(s): %+v %v", x.Name(), res.Status, res.Error, len(ds), ds, err)
				r.w.mu.Unlock()
			}
		}
		r.clk.Park()
	}()
}

// lock wraps the Lock handler to record, before it runs, each release
// beginning to deploy a target.
func (r *runner) lock(next controlengine.Invoke) controlengine.Invoke {
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var in control.LockInput
		if err := json.Unmarshal(payload, &in); err == nil {
			r.mu.Lock()
			r.attempts = append(r.attempts, attempt{Release: in.ReleaseID, Target: in.Target.Name})
			r.mu.Unlock()
		}
		return next(ctx, payload)
	}
}

// finalize wraps the Finalize handler to record, in the harness's own
// books, each target a release promoted.
func (r *runner) finalize(next controlengine.Invoke) controlengine.Invoke {
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		out, err := next(ctx, payload)
		var in control.FinalizeInput
		if uerr := json.Unmarshal(payload, &in); uerr != nil {
			return out, err
		}
		promoted := err == nil
		if errors.Is(err, errCrashed) {
			// Crashed mid-way: promoted if its TargetPromoted fact was stored.
			if evs, rerr := r.store.Events(r.ctx, in.ReleaseID, 0, 0); rerr == nil {
				for _, ev := range evs {
					promoted = promoted || ev.Type == release.EventTargetPromoted && ev.Target == in.Target.Name
				}
			}
		}
		if promoted {
			r.w.mu.Lock()
			idx := -1
			if v, ok := r.w.versions[in.Split.Candidate]; ok {
				idx = v.release
			}
			r.w.promotions = append(r.w.promotions, promoRec{At: r.clk.Now(), Target: in.Target.Name, Version: in.Split.Candidate, Release: idx})
			r.w.logf("%s: %s promoted by its release", in.Target.Name, r.w.display(in.Split.Candidate))
			r.w.mu.Unlock()
		}
		return out, err
	}
}

// aggregate is the load-test aggregator: the world judges the run, and the
// verdict is recorded in the release's log as the real aggregator does.
func (r *runner) aggregate(p *plane) func(context.Context, loadtest.AggregateInput) (loadtest.Report, error) {
	return func(ctx context.Context, in loadtest.AggregateInput) (loadtest.Report, error) {
		rel, err := p.store.GetRelease(ctx, in.ReleaseID)
		if err != nil {
			return loadtest.Report{}, control.Boundary(err)
		}
		pass := r.w.loadTestPasses(in.Target.Name, rel.Version)
		rep := loadtest.Report{RunID: in.RunID, Passed: pass, Summary: fmt.Sprintf("simulated load test passed=%v", pass)}
		typ := release.EventLoadTestPassed
		if !pass {
			typ = release.EventLoadTestFailed
		}
		if _, err := p.store.AppendEvent(ctx, release.Event{ReleaseID: in.ReleaseID, Type: typ, Stage: in.Stage, Wave: in.Wave, Target: in.Target.Name, Message: rep.Summary}); err != nil {
			return loadtest.Report{}, control.Boundary(err)
		}
		return rep, nil
	}
}

// appended counts stored events and crashes the plane at the scenario's
// crash points.
func (r *runner) appended(p *plane) {
	r.mu.Lock()
	r.events++
	n := r.events
	crash := slices.Contains(r.sc.CrashAtEvents, n) && r.cur == p && !r.ended
	r.mu.Unlock()
	if !crash || !p.dead.CompareAndSwap(false, true) {
		return
	}
	r.w.mu.Lock()
	r.w.logf("CONTROL PLANE CRASH after event #%d (generation %d)", n, p.gen)
	r.w.mu.Unlock()
	r.clk.Spawn()
	go func() {
		r.restart(p, n)
		r.clk.Park()
	}()
}

// restart drops a crashed plane's executions and brings up the next
// generation from the store, reconciling every release left unfinished,
// as `shipwave local up` does after a crash.
func (r *runner) restart(old *plane, n int) {
	old.mu.Lock()
	xs := append([]*states.Execution(nil), old.all...)
	old.mu.Unlock()
	for _, x := range xs {
		x.Stop("States.Aborted", "the control plane crashed")
	}
	for _, x := range xs {
		awaitDone(x)
	}
	np, err := r.newPlane()
	if err != nil {
		r.finish("restart failed: " + err.Error())
		return
	}
	r.mu.Lock()
	r.cur = np
	r.mu.Unlock()
	active, err := r.store.ActiveReleases(r.ctx, r.p.Name)
	if err != nil {
		r.finish("restart: active releases: " + err.Error())
		return
	}
	for _, rel := range active {
		input, _ := json.Marshal(map[string]string{"releaseId": rel.ID})
		res, err := np.svc.Reconcile(r.ctx, control.ExecutionChange{
			Name: rel.ID, Status: "ABORTED", Input: string(input),
			Error: "States.Aborted", Cause: "the local stack stopped while the release was running",
		})
		r.w.mu.Lock()
		r.w.logf("restart (generation %d): reconciled %s: %s %s %v", np.gen, rel.ID, res.Action, res.Reason, err)
		r.w.mu.Unlock()
	}
}

// deliverAlarm puts an alarm state change on the current plane's bus.
func (r *runner) deliverAlarm(name string, from, to alarms.State) {
	p := r.current()
	if p.dead.Load() {
		return
	}
	now := r.clk.Now()
	detail := map[string]any{
		"alarmName":     name,
		"state":         map[string]any{"value": string(to), "reason": "simulated", "timestamp": now.Format("2006-01-02T15:04:05.000-0700")},
		"previousState": map[string]any{"value": string(from), "reason": "simulated", "timestamp": now.Format("2006-01-02T15:04:05.000-0700")},
	}
	d, _ := json.Marshal(detail)
	ev := events.CloudWatchEvent{
		Version: "0", ID: fmt.Sprintf("alarm-%s-%d", name, now.UnixNano()), DetailType: alarms.DetailType, Source: alarms.EventSource,
		AccountID: local.Account, Time: now, Region: local.Region,
		Resources: []string{fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", local.Region, local.Account, name)}, Detail: d,
	}
	raw, _ := json.Marshal(ev)
	_, _ = p.bus.Deliver(r.ctx, raw)
}

// schedule sets the scenario's pushes and actions, and the horizon.
func (r *runner) schedule() {
	sc := r.sc
	at := func(d time.Duration, fn func()) {
		r.pending++
		r.w.after(sc.Start.Add(d), func() {
			fn()
			r.mu.Lock()
			r.pending--
			r.mu.Unlock()
		})
	}
	for i, rel := range sc.Releases {
		for d := 0; d < rel.Deliveries; d++ {
			i, rel := i, rel
			at(rel.At+time.Duration(d)*rel.DupDelay, func() { r.push(i, rel) })
		}
	}
	for _, a := range sc.Actions {
		a := a
		at(a.At, func() { r.act(a) })
	}
	r.w.after(sc.Start.Add(sc.Horizon), func() {
		r.finish(fmt.Sprintf("reached the horizon (%s of virtual time)", sc.Horizon))
	})
}

// push delivers the release's CodeCommit push event (the same event id on
// every delivery, as EventBridge redelivers).
func (r *runner) push(i int, rel ReleaseSpec) {
	detail, _ := json.Marshal(map[string]any{
		"callerUserArn": "arn:aws:iam::123456789012:user/dev", "commitId": rel.Commit, "event": "referenceUpdated",
		"oldCommitId": fmt.Sprintf("%040x", i), "referenceFullName": "refs/heads/main", "referenceName": "main",
		"referenceType": "branch", "repositoryId": "sim", "repositoryName": "sim-app",
	})
	ev := events.CloudWatchEvent{
		Version: "0", ID: fmt.Sprintf("push-%d-%d", r.sc.Seed, i), DetailType: "CodeCommit Repository State Change", Source: "aws.codecommit",
		AccountID: local.Account, Time: r.clk.Now(), Region: local.Region,
		Resources: []string{"arn:aws:codecommit:us-east-1:123456789012:sim-app"}, Detail: detail,
	}
	raw, _ := json.Marshal(ev)
	p := r.current()
	ds, err := p.bus.Deliver(r.ctx, raw)
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	for _, d := range ds {
		if res, ok := d.Result.(triggers.Result); ok {
			for _, pr := range res.Pipelines {
				r.w.logf("push of %s: %s %s %s", rel.Version, pr.Outcome, pr.ReleaseID, pr.Reason)
			}
		}
	}
	if err != nil {
		r.w.logf("push of %s: %v", rel.Version, err)
	}
}

func (r *runner) releaseID(i int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.commits[r.sc.Releases[i].Commit]
}

// act performs a person's action.
func (r *runner) act(a Action) {
	id := r.releaseID(a.Release)
	p := r.current()
	note := func(format string, args ...any) {
		r.w.mu.Lock()
		r.w.logf("%s by %s on %s: %s", a.Kind, a.Actor, r.sc.Releases[a.Release].Version, fmt.Sprintf(format, args...))
		r.w.mu.Unlock()
	}
	if id == "" {
		note("no such release (yet)")
		return
	}
	switch a.Kind {
	case ActRollback:
		// The product's manual rollback: the release's own failure path
		// (control.Service.RequestRollback), as `shipwave release rollback`
		// asks for it; a release with no execution in this generation is
		// reconciled, as `local up` does.
		if _, err := p.svc.RequestRollback(r.ctx, control.RollbackRequest{ReleaseID: id, Actor: a.Actor, Reason: "simulated operator"}); err != nil {
			note("refused: %v", err)
			return
		}
		p.mu.Lock()
		x := p.execs[id]
		p.mu.Unlock()
		if x == nil {
			res, err := p.svc.Reconcile(r.ctx, control.ExecutionChange{Name: id, Status: "ABORTED", Input: fmt.Sprintf(`{"releaseId":%q}`, id),
				Error: "States.Aborted", Cause: "rolled back with no execution in this generation"})
			note("reconciled: %+v %v", res, err)
			return
		}
		note("requested")
	case ActApprove, ActReject:
		err := p.svc.Decide(r.ctx, control.Decision{ReleaseID: id, Actor: a.Actor, Approve: a.Kind == ActApprove})
		// A person did reject, even if the control plane died before
		// answering them (the log may hold the Rejected event).
		if (err == nil || errors.Is(err, errCrashed)) && a.Kind == ActReject {
			r.mu.Lock()
			r.rejected[id] = true
			r.mu.Unlock()
		}
		note("%v", err)
	case ActUndo:
		if r.opts.Undo == nil {
			note("skipped: no undo wired")
			return
		}
		note("%v", r.opts.Undo(r.ctx, p.svc, id, a.Actor))
	}
}

// awaitDone waits, in real time, for a stopped execution to end.
func awaitDone(x *states.Execution) {
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-x.Done():
	case <-t.C:
	}
}

// finish ends the history: time stops moving.
func (r *runner) finish(stuck string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.ended, r.stuck = true, stuck
	close(r.endCh)
}

// quiet runs whenever every activity is parked and time is about to move
// from now to next: it samples the invariants that must hold at every
// instant, and ends the history once nothing is left to happen.
func (r *runner) quiet(now, next time.Time) bool {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return false
	}
	allDone := true
	runningChildren := 0
	for _, t := range r.execs {
		if t.child && t.x.Status().Status == states.StatusRunning {
			runningChildren++
		}
	}
	if r.waiting > runningChildren {
		r.mu.Unlock()
		return false // a parent is about to resume from an ended child
	}
	for _, t := range r.execs {
		if !t.watched {
			if t.x.Status().Status != states.StatusRunning {
				r.mu.Unlock()
				return false // its status change is about to be delivered
			}
			allDone = false
		}
	}
	ids := make([]string, 0, len(r.commits))
	for _, id := range r.commits {
		ids = append(ids, id)
	}
	pending := r.pending
	r.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		r.mu.Lock()
		_, seen := r.endAt[id]
		r.mu.Unlock()
		if seen {
			continue
		}
		if rel, err := r.store.GetRelease(r.ctx, id); err == nil && rel.Status.Terminal() {
			r.mu.Lock()
			r.endAt[id] = now
			r.mu.Unlock()
		}
	}
	if next.After(now) {
		r.sample(now, next)
	}
	if pending == 0 && allDone {
		r.finish("")
		return false
	}
	return true
}

// sample checks, for the interval [now, next) in which nothing changes,
// that every partially shifted target is watched: a bake token of the
// release owning the candidate watches the target's alarms, and that
// release's lease on the target lasts the whole interval. A target whose
// restore is being retried (its first attempt failed) is being taken back,
// not left alone, and is not sampled.
func (r *runner) sample(now, next time.Time) {
	r.w.mu.Lock()
	type partial struct {
		target string
		alarms []string
		split  traffic.Split
	}
	var ps []partial
	for _, ts := range r.sc.Targets {
		tw := r.w.targets[ts.Name]
		if s := tw.split; s.Weight > 0 && s.Weight < 100 && !tw.restoring {
			ps = append(ps, partial{ts.Name, ts.Alarms, tw.split})
		}
	}
	r.w.mu.Unlock()
	for _, pt := range ps {
		r.mu.Lock()
		id := r.commits[pt.split.Candidate]
		r.mu.Unlock()
		if rel, err := r.store.GetRelease(r.ctx, id); err == nil && rel.Status == release.StatusNeedsAttention && strings.Contains(rel.Reason, pt.target) {
			// The release ended saying loudly that it could not restore
			// this target (its known-good version was not serving): a
			// person must act (DESIGN §6.1), and no watch is left to run.
			continue
		}
		if ts, err := r.store.GetTargetState(r.ctx, pt.target); err == nil && ts.Phase == release.PhaseRestoring {
			// Claimed for a restore (its first attempt may have failed
			// before it reached the traffic API): being taken back, not
			// left alone.
			continue
		}
		var problems []string
		kinds := ""
		l, err := r.store.GetLock(r.ctx, pt.target)
		switch {
		case err != nil:
			problems, kinds = append(problems, "no lock is held"), kinds+"L"
		case l.Owner != id:
			problems, kinds = append(problems, "the lock is held by "+l.Owner), kinds+"O"
		case l.ExpiresAt.Before(next):
			problems, kinds = append(problems, "the lease runs out at +"+l.ExpiresAt.Sub(r.sc.Start).String()), kinds+"E"
		}
		watched := false
		if toks, err := r.store.TokensByRelease(r.ctx, id); err == nil {
			for _, tok := range toks {
				// A bake's token, or the watch a release keeps on the
				// target between bakes (release.TokenWatch), both fail the
				// release when one of the alarms fires.
				if (tok.Kind == release.TokenBake || tok.Kind == release.TokenWatch) && tok.Target == pt.target && (tok.ExpiresAt.IsZero() || tok.ExpiresAt.After(now)) && containsAll(tok.Alarms, pt.alarms) {
					watched = true
				}
			}
		}
		if !watched {
			problems, kinds = append(problems, "no bake or watch covers its alarms"), kinds+"B"
		}
		if len(problems) > 0 {
			r.violate(kinds, Violation{Invariant: InvNoUnwatchedPartial, Release: id, Target: pt.target,
				Detail: fmt.Sprintf("from +%s to +%s, %s carried %s while %v", now.Sub(r.sc.Start), next.Sub(r.sc.Start), pt.target, r.w.splitString(pt.split), problems)})
		}
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// violate records a violation found while the history runs, once per
// invariant, release, target and kind of problem.
func (r *runner) violate(kind string, v Violation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := string(v.Invariant) + "|" + v.Release + "|" + v.Target + "|" + kind
	if r.seenViols == nil {
		r.seenViols = map[string]bool{}
	}
	if r.seenViols[key] {
		return
	}
	r.seenViols[key] = true
	r.sampled = append(r.sampled, v)
}

// checkShift checks a shift before the world applies it (world locked):
// the release moving traffic holds the target's live lock, and traffic
// moves toward a candidate only after its pre-traffic hook passed and
// inside the deploy window.
func (r *runner) checkShift(now time.Time, t *tworld, s traffic.Split) []Violation {
	if s.Candidate == "" {
		return nil
	}
	r.mu.Lock()
	id := r.commits[s.Candidate]
	r.mu.Unlock()
	var out []Violation
	l, err := r.store.GetLock(r.ctx, t.spec.Name)
	if err == nil && s.Weight == 0 && l.Owner != id && l.ExpiresAt.After(now) {
		// A break-glass restore (a release of its own, trigger kind
		// restore) returns traffic to a known-good version under its own
		// lock, whoever's candidate it replaces.
		if owner, gerr := r.store.GetRelease(r.ctx, l.Owner); gerr == nil && owner.Trigger.Kind == release.TriggerRestore {
			id = l.Owner
		}
	}
	if err != nil || l.Owner != id || !l.ExpiresAt.After(now) {
		out = append(out, Violation{Invariant: InvLockExclusive, Release: id, Target: t.spec.Name,
			Detail: fmt.Sprintf("shift to %s while the lock is %+v (%v)", r.w.splitString(s), l, err)})
	}
	forward := s.Weight > 0 && share(t.split, s.Candidate) < s.Weight
	if !forward {
		return out
	}
	st, wv := r.waveOf(t.spec)
	pre := r.p.Hooks.PreTraffic
	if wv != nil && wv.Hooks.PreTraffic != nil {
		pre = wv.Hooks.PreTraffic
	}
	if pre != nil && !r.w.hookPassed[s.Candidate+"|"+t.spec.Name+"|"+string(hooks.PreTraffic)] {
		out = append(out, Violation{Invariant: InvShiftGated, Release: id, Target: t.spec.Name,
			Detail: fmt.Sprintf("traffic moved to %s before the pre-traffic hook passed", r.w.splitString(s))})
	}
	if st != nil && st.Windowed && len(r.p.DeployWindows) > 0 {
		if next, ok := schedule.NextOpen(r.p.DeployWindows, now); !ok || next.After(now) {
			out = append(out, Violation{Invariant: InvShiftGated, Release: id, Target: t.spec.Name,
				Detail: fmt.Sprintf("traffic moved to %s outside the deploy window (next opens %s)", r.w.splitString(s), next.Format(time.RFC3339))})
		}
	}
	return out
}

func (r *runner) waveOf(ts TargetSpec) (*release.Stage, *release.Wave) {
	for si := range r.p.Stages {
		st := &r.p.Stages[si]
		for wi := range st.Waves {
			for _, t := range st.Waves[wi].Targets {
				if t.Name == ts.Name {
					return st, &st.Waves[wi]
				}
			}
		}
	}
	return nil, nil
}

// collect reads the end state: the store's releases and logs, the world's
// traffic and its books.
func (r *runner) collect() *History {
	r.mu.Lock()
	for _, p := range r.planes {
		p.dead.Store(true) // nothing more reaches the store
	}
	h := &History{
		Scenario: r.sc, Pipeline: r.p, Stuck: r.stuck, End: r.clk.Now(),
		Releases: map[string]release.Release{}, Events: map[string][]release.Event{},
		endAt: maps(r.endAt), rejected: maps(r.rejected), commits: maps(r.commits),
		violations: append([]Violation(nil), r.sampled...),
		attempts:   append([]attempt(nil), r.attempts...),
	}
	r.mu.Unlock()
	for _, rs := range r.sc.Releases {
		h.IDs = append(h.IDs, h.commits[rs.Commit])
	}
	rels, _, _ := r.store.ListReleases(r.ctx, r.p.Name, 1000, "")
	for _, rel := range rels {
		h.Releases[rel.ID] = rel
		h.Events[rel.ID], _ = r.store.Events(r.ctx, rel.ID, 0, 0)
	}
	w := r.w
	w.mu.Lock()
	defer w.mu.Unlock()
	h.final, h.serving, h.crashedAt = map[string]traffic.Split{}, map[string]error{}, map[string]time.Time{}
	for name, t := range w.targets {
		h.final[name] = t.split
		if v := liveVersion(t.split); v != "" {
			h.serving[name] = w.servingLocked(t, v)
			h.crashedAt[name] = w.crashedSinceLocked(t, v)
		}
	}
	h.shifts = append(h.shifts, w.shifts...)
	h.restores = append(h.restores, w.restores...)
	h.promotions = append(h.promotions, w.promotions...)
	h.violations = append(h.violations, w.callViol...)
	h.WorldLog = append(h.WorldLog, w.log...)
	return h
}

func maps[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// teardown stops whatever still runs once the history is over.
func (r *runner) teardown() {
	close(r.w.done)
	r.mu.Lock()
	planes := append([]*plane(nil), r.planes...)
	r.mu.Unlock()
	for _, p := range planes {
		p.mu.Lock()
		xs := append([]*states.Execution(nil), p.all...)
		p.mu.Unlock()
		for _, x := range xs {
			x.Stop("States.Aborted", "the simulation ended")
		}
	}
}
