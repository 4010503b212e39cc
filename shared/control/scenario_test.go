package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/controlengine"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/loadtest/localtask"
	"github.com/shipwave/shipwave/shared/loadtest/resultdir"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/schedule"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/testbin"
	"github.com/shipwave/shipwave/shared/traffic/albweights"
	"github.com/shipwave/shipwave/shared/traffic/lambdaalias"
)

func TestMain(m *testing.M) {
	code := dynalitetest.Run(m)
	testbin.Clean()
	os.Exit(code)
}

const (
	region  = "us-east-1"
	account = "123456789012"
)

// world is the whole control plane of one scenario: the real state machines
// on the embedded engine (virtual time), the real handlers in-process, the
// real store on dynalite, and the real Lambda alias shifter talking to a fake
// Lambda service over loopback.
type world struct {
	t      *testing.T
	clock  *states.VirtualClock
	engine *states.Engine
	store  *store.Store
	lambda *awsfake.Lambda
	svc    *control.Service

	release    *states.StateMachine
	releaseARN string

	mu            sync.Mutex
	alarms        map[string]alarms.State
	hookErr       map[string]error           // phase → error the hook returns
	hookLog       []string                   // "phase@updates" for each hook run
	onBake        func(w *world, weight int) // runs after a bake registered
	requests      int64                      // what the request counter reports
	preHook       bool                       // the pipeline has a pre-traffic hook
	writes        *countingDB                // counts the store's write requests
	aggregator    *loadtest.Aggregator
	bakingRelease string                           // the release whose bake onBake is told about
	onApproval    func(w *world, releaseID string) // runs after an approval registered

	elb                   *awsfake.ELBv2
	blue, green, listener string
	failures              []string // SendTaskFailure calls seen by the world
}

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
executionMode: %s
alarms: [orders-5xx]
hooks:
  preTraffic: { lambda: orders-smoke }
  postTraffic: { lambda: orders-verify }
stages:
  - name: prod
    waves:
      - name: one-box
        targets: [{ type: lambdaAlias, function: orders, alias: live }]
        deployment: %s
        bake: %s
`

// ordersPipeline is a one-wave pipeline on the orders:live alias.
func ordersPipeline(mode, deployment, bake string) string {
	return fmt.Sprintf(ordersSpec, mode, deployment, bake)
}

func newWorld(t *testing.T, mode, deployment string) *world {
	return newWorldSpec(t, ordersPipeline(mode, deployment, "10m"))
}

func newWorldSpec(t *testing.T, src string) *world {
	t.Helper()
	w := &world{
		t:       t,
		clock:   states.NewVirtualClock(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)),
		alarms:  map[string]alarms.State{"orders-5xx": alarms.StateOK},
		hookErr: map[string]error{},
	}
	client, table := dynalitetest.Table(t)
	w.writes = &countingDB{DynamoDB: client}
	w.store = store.New(w.writes, table, store.WithNow(w.clock.Now))

	w.lambda = awsfake.NewLambda(t)
	w.lambda.AddFunction("orders", "sha-v1")
	w.lambda.Publish("orders", "v1")
	w.lambda.CreateAlias("orders", "live", "1")
	w.lambda.UpdateCode("orders", "sha-v2")
	w.lambda.AddFunction("orders-eu", "sha-v1")
	w.lambda.Publish("orders-eu", "v1")
	w.lambda.CreateAlias("orders-eu", "live", "1")
	w.lambda.UpdateCode("orders-eu", "sha-v2")
	shifter := lambdaalias.New(lambda.NewFromConfig(awsfake.Config(w.lambda.URL())))
	w.elb = awsfake.NewELBv2(t)
	w.blue = w.elb.AddTargetGroup("orders-blue", "10.0.1.1")
	w.green = w.elb.AddTargetGroup("orders-green", "10.0.2.1")
	w.listener = w.elb.AddListener(443, awsfake.Forward(awsfake.TargetWeight{TargetGroupArn: w.blue, Weight: 1}))
	alb := albweights.New(elb.NewFromConfig(awsfake.Config(w.elb.URL())))

	w.svc = &control.Service{
		Store: w.store,
		Shifters: func(t release.Target) (control.Shifter, error) {
			if t.Type == release.TargetECSBlueGreen {
				return alb, nil
			}
			return shifter, nil
		},
		Alarms: control.AlarmFunc(func(_ context.Context, names []string) (map[string]alarms.State, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			out := map[string]alarms.State{}
			for _, n := range names {
				if s, ok := w.alarms[n]; ok {
					out[n] = s
				}
			}
			return out, nil
		}),
		Hooks: control.HookFunc(func(_ context.Context, _ release.Hook, inv hooks.Invocation) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.hookLog = append(w.hookLog, fmt.Sprintf("%s@%d", inv.Phase, len(w.lambda.Requests("UpdateAlias"))))
			return w.hookErr[string(inv.Phase)]
		}),
		Callbacks: callbacks{w},
		Requests:  requestCounter{w},
		Windows:   control.WindowFunc(schedule.NextOpen),
		Now:       w.clock.Now,
	}

	// ecs:runTask.sync runs the real load generator as a process, as the
	// local stack does; results land in a directory the aggregator reads.
	results := t.TempDir()
	w.aggregator = &loadtest.Aggregator{Source: resultdir.New(results), Events: w.store, Now: w.clock.Now}
	eng, err := controlengine.New(states.Options{Clock: w.clock, Region: region, Account: account}, controlengine.Handlers{
		Service: w.svc,
		LoadTestAggregate: func(ctx context.Context, in loadtest.AggregateInput) (loadtest.Report, error) {
			r, err := w.aggregator.Handle(ctx, in)
			return r, control.Boundary(err)
		},
		RunTask: states.TaskFunc(func(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
			runner := &localtask.Runner{Bin: loadgenBinary(t), Env: []string{"SHIPWAVE_LOADTEST_OUT=" + results}}
			return runner.RunTask(ctx, req.Input)
		}),
		Wrap: w.observe,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.engine, w.release, w.releaseARN = eng.Engine, eng.Release, eng.ReleaseARN

	if src != "" {
		if err := w.saveSpec(src); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// observe runs onApproval after an approval registered and onBake after a
// bake registered.
func (w *world) observe(function string, next controlengine.Invoke) controlengine.Invoke {
	if function != "approval" && function != "bake" {
		return next
	}
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		out, err := next(ctx, payload)
		if err != nil {
			return out, err
		}
		var (
			approval control.ApprovalInput
			bake     struct {
				Action string `json:"action"`
				control.BakeInput
			}
		)
		switch {
		case function == "approval" && w.onApproval != nil:
			if uerr := json.Unmarshal(payload, &approval); uerr != nil {
				w.t.Errorf("approval payload: %v", uerr)
			}
			w.onApproval(w, approval.ReleaseID)
		case function == "bake" && w.onBake != nil:
			if uerr := json.Unmarshal(payload, &bake); uerr != nil {
				w.t.Errorf("bake payload: %v", uerr)
			}
			if bake.Action == "register" {
				w.bakingRelease = bake.ReleaseID
				w.onBake(w, bake.Step.Weight)
			}
		}
		return out, err
	}
}

// saveSpec parses a pipeline spec and stores it as the pipeline's next
// version.
func (w *world) saveSpec(src string) error {
	p, err := spec.Parse("orders.yaml", []byte(src))
	if err != nil {
		return err
	}
	w.preHook = p.Hooks.PreTraffic != nil
	_, err = w.store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: p.Name, Source: []byte(src), Parsed: p})
	return err
}

// loadgenBinary is cmd/loadgen, built once per test binary (testbin).
func loadgenBinary(t *testing.T) string {
	return testbin.Path(t, "github.com/shipwave/shipwave/cmd/loadgen")
}

// fireAlarm puts an alarm in ALARM and delivers its state-change event to
// alarmwatch, which must fail the one bake watching it.
func (w *world) fireAlarm(name string) {
	w.mu.Lock()
	w.alarms[name] = alarms.StateAlarm
	w.mu.Unlock()
	res, err := w.svc.AlarmChanged(context.Background(), alarms.Change{Alarm: name, State: alarms.StateAlarm, Reason: "5xx above 1%"})
	if err != nil || len(res.Failed) != 1 {
		w.t.Errorf("alarmwatch: %+v, %v; want one bake failed", res, err)
	}
}

// callbacks lets handlers complete tokens on the world's engine, recording
// failures for assertions.
type callbacks struct{ w *world }

func (c callbacks) SendTaskSuccess(ctx context.Context, token string, output []byte) error {
	return c.w.engine.SendTaskSuccess(ctx, token, output)
}

func (c callbacks) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	c.w.mu.Lock()
	c.w.failures = append(c.w.failures, errName)
	c.w.mu.Unlock()
	return c.w.engine.SendTaskFailure(ctx, token, errName, cause)
}

// requestCounter reports the world's request count for bakes that need data.
type requestCounter struct{ w *world }

func (c requestCounter) CandidateRequests(context.Context, release.Target, string, time.Time) (int64, error) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	return c.w.requests, nil
}

// start creates a release of version and starts its execution.
func (w *world) start(version, key string) (release.Release, *states.Execution) {
	w.t.Helper()
	ctx := context.Background()
	r, _, err := w.store.CreateRelease(ctx, release.Release{
		Pipeline: "orders", SpecVersion: 1, Version: version,
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: key, Time: w.clock.Now()},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	input, _ := json.Marshal(sfn.InputOf(r))
	x, err := w.engine.Start(ctx, w.release, states.StartInput{Name: r.ID, Input: input, StateMachineArn: w.releaseARN})
	if err != nil {
		w.t.Fatal(err)
	}
	return r, x
}

// execRef hands an execution to engine callbacks that may run before
// start has returned it.
type execRef struct {
	ch   chan *states.Execution
	once sync.Once
	x    *states.Execution
}

func newExecRef() *execRef { return &execRef{ch: make(chan *states.Execution, 1)} }

func (e *execRef) set(x *states.Execution) { e.ch <- x }

// get waits until set has run.
func (e *execRef) get() *states.Execution {
	e.once.Do(func() { e.x = <-e.ch })
	return e.x
}

func (w *world) wait(x *states.Execution) states.Result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := x.Wait(ctx)
	if err != nil {
		w.t.Fatalf("execution %s did not end: %v", x.Name(), err)
	}
	return res
}

func (w *world) releaseOf(id string) release.Release {
	w.t.Helper()
	r, err := w.store.GetRelease(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func (w *world) events(id string) []release.Event {
	w.t.Helper()
	evs, err := w.store.Events(context.Background(), id, 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	return evs
}

// aliasUpdates describes every UpdateAlias the shifter sent: "1+2@0.1"
// for a split, "2" for a single version.
func (w *world) aliasUpdates() []string {
	var out []string
	for _, r := range w.lambda.Requests("UpdateAlias") {
		if r.Faulted {
			continue
		}
		s := fmt.Sprint(r.Params["FunctionVersion"])
		if rc, ok := r.Params["RoutingConfig"].(map[string]any); ok {
			if weights, ok := rc["AdditionalVersionWeights"].(map[string]any); ok {
				for v, wt := range weights {
					s += fmt.Sprintf("+%s@%v", v, wt)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// checkInvariants asserts DESIGN.md §6 after a scenario: the release ended;
// a release that did not succeed left 100% of traffic on the known-good
// version, said so in its log; the lock is free; and no traffic moved before
// the pre-traffic hook passed.
func (w *world) checkInvariants(r release.Release, goodVersion string) {
	w.t.Helper()
	r = w.releaseOf(r.ID)
	if !r.Status.Terminal() {
		w.t.Errorf("release %s is %s, want a terminal status", r.ID, r.Status)
	}
	alias, ok := w.lambda.Alias("orders", "live")
	if !ok {
		w.t.Fatal("alias orders:live is gone")
	}
	if alias.Version != goodVersion || len(alias.Weights) != 0 {
		w.t.Errorf("alias serves %s with weights %v, want 100%% on %s", alias.Version, alias.Weights, goodVersion)
	}
	if r.Status != release.StatusSucceeded && hasEventType(w.events(r.ID), release.EventRolledBack) == false && len(w.aliasUpdates()) > 0 {
		w.t.Errorf("release %s is %s after moving traffic but its log has no %s event", r.ID, r.Status, release.EventRolledBack)
	}
	if l, err := w.store.GetLock(context.Background(), "lambda:orders:live"); err == nil && l.Owner != "" && l.Live(w.clock.Now()) {
		w.t.Errorf("lock on lambda:orders:live still held by %s", l.Owner)
	}
	checkLog(w.t, w.events(r.ID), r)
	if toks, err := w.store.TokensByRelease(context.Background(), r.ID); err != nil || len(toks) > 0 {
		w.t.Errorf("release %s ended with tokens left: %+v, %v", r.ID, toks, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if updates := w.aliasUpdates(); w.preHook && len(updates) > 0 && (len(w.hookLog) == 0 || w.hookLog[0] != "preTraffic@0") {
		w.t.Errorf("traffic moved (%v) before the pre-traffic hook passed (hooks: %v)", updates, w.hookLog)
	}
}

// checkLog checks invariant 10 on a release's log: gap-free, time never
// backwards against seq, exactly one end event naming the release's
// status, one LockReleased per LockAcquired for each target, and a status
// that names what happened (ROLLED_BACK only if something was restored).
func checkLog(t testing.TB, evs []release.Event, r release.Release) {
	t.Helper()
	held := map[string]int{}
	var ends []release.Event
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d: the log has a gap", i+1, ev.Seq)
		}
		if i > 0 && ev.Time.Before(evs[i-1].Time) {
			t.Errorf("event %d (%s) at %s is before event %d at %s", ev.Seq, ev.Type, ev.Time, evs[i-1].Seq, evs[i-1].Time)
		}
		switch {
		case ev.Type == release.EventLockAcquired:
			held[ev.Target]++
			if held[ev.Target] > 1 {
				t.Errorf("event %d: %s acquired again before its lock was released", ev.Seq, ev.Target)
			}
		case ev.Type == release.EventLockReleased:
			held[ev.Target]--
			if held[ev.Target] < 0 {
				t.Errorf("event %d: LockReleased on %s without a LockAcquired", ev.Seq, ev.Target)
			}
		case ev.Type.Ends():
			ends = append(ends, ev)
		}
	}
	for target, n := range held {
		if n != 0 {
			t.Errorf("%s: %d LockAcquired without a LockReleased", target, n)
		}
	}
	if r.Status.Terminal() && (len(ends) != 1 || ends[0].Type != r.Status.EndEvent()) {
		t.Errorf("release %s is %s; end events %v, want exactly one %s", r.ID, r.Status, eventTypes(ends), r.Status.EndEvent())
	}
	led := release.NewLedger(evs)
	if r.Status == release.StatusRolledBack && !led.Restored() {
		t.Errorf("release %s is ROLLED_BACK but restored nothing that had moved", r.ID)
	}
	if led.Restored() && (r.Status == release.StatusFailed || r.Status == release.StatusSucceeded) {
		t.Errorf("release %s is %s but restored traffic", r.ID, r.Status)
	}
}

func eventsOfType(evs []release.Event, t release.EventType) []release.Event {
	var out []release.Event
	for _, e := range evs {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

func hasEventType(evs []release.Event, t release.EventType) bool {
	for _, e := range evs {
		if e.Type == t {
			return true
		}
	}
	return false
}

func eventTypes(evs []release.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, string(e.Type))
	}
	return strings.Join(s, " ")
}

func TestReleasePromotesThroughCanary(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	r, x := w.start("v2", "push:orders:main:c2")
	res := w.wait(x)
	if res.Status != states.StatusSucceeded {
		t.Fatalf("release execution %s: %s %s; events: %s", res.Status, res.Error, res.Cause, eventTypes(w.events(r.ID)))
	}
	if got := w.releaseOf(r.ID).Status; got != release.StatusSucceeded {
		t.Errorf("release status = %s, want SUCCEEDED", got)
	}
	if got, want := strings.Join(w.aliasUpdates(), " "), "1+2@0.1 2"; got != want {
		t.Errorf("alias updates = %q, want %q", got, want)
	}
	if got, want := strings.Join(w.hookLog, " "), "preTraffic@0 postTraffic@2"; got != want {
		t.Errorf("hooks = %q, want %q", got, want)
	}
	w.checkInvariants(r, "2")
}

func TestAlarmInCanaryRollsBackBeforeAnyFurtherShift(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	w.onBake = func(w *world, weight int) {
		if weight != 10 {
			return
		}
		w.fireAlarm("orders-5xx")
	}
	r, x := w.start("v2", "push:orders:main:c3")
	res := w.wait(x)
	if res.Status != states.StatusFailed || res.Error != "ReleaseRolledBack" {
		t.Fatalf("release execution = %s %s (%s), want FAILED ReleaseRolledBack; events: %s", res.Status, res.Error, res.Cause, eventTypes(w.events(r.ID)))
	}
	if got, want := strings.Join(w.aliasUpdates(), " "), "1+2@0.1 1"; got != want {
		t.Errorf("alias updates = %q, want %q (no shift after the alarm)", got, want)
	}
	if got := w.releaseOf(r.ID); got.Status != release.StatusRolledBack || !strings.Contains(got.Reason, "orders-5xx") {
		t.Errorf("release = %s (%s), want ROLLED_BACK naming the alarm", got.Status, got.Reason)
	}
	if !hasEventType(w.events(r.ID), release.EventAlarm) {
		t.Errorf("no %s event: %s", release.EventAlarm, eventTypes(w.events(r.ID)))
	}
	w.checkInvariants(r, "1")
}

func TestPreTrafficHookFailureMovesNoTraffic(t *testing.T) {
	w := newWorld(t, "QUEUED", "Linear10PercentEvery1Minute")
	w.hookErr["preTraffic"] = errors.New("smoke test: 3 of 5 requests failed")
	r, x := w.start("v2", "push:orders:main:c4")
	res := w.wait(x)
	if res.Status != states.StatusFailed {
		t.Fatalf("release execution = %s, want FAILED", res.Status)
	}
	if got := w.aliasUpdates(); len(got) != 0 {
		t.Errorf("alias updates = %v, want none", got)
	}
	if got := w.releaseOf(r.ID); got.Status != release.StatusFailed || !strings.Contains(got.Reason, "smoke test") {
		t.Errorf("release = %s (%s), want FAILED (nothing moved) with the hook's reason", got.Status, got.Reason)
	}
	w.checkInvariants(r, "1")
}

func TestPostTrafficHookFailureRollsBack(t *testing.T) {
	w := newWorld(t, "QUEUED", "Canary10Percent5Minutes")
	w.hookErr["postTraffic"] = errors.New("checkout flow broken")
	r, x := w.start("v2", "push:orders:main:c5")
	res := w.wait(x)
	if res.Status != states.StatusFailed {
		t.Fatalf("release execution = %s, want FAILED", res.Status)
	}
	if got, want := strings.Join(w.aliasUpdates(), " "), "1+2@0.1 2 1"; got != want {
		t.Errorf("alias updates = %q, want %q", got, want)
	}
	w.checkInvariants(r, "1")
}

func TestEveryPredefinedConfigShiftsItsExactWeights(t *testing.T) {
	tests := []struct {
		config string
		want   string
	}{
		{"AllAtOnce", "2"},
		{"Canary10Percent5Minutes", "1+2@0.1 2"},
		{"Canary10Percent10Minutes", "1+2@0.1 2"},
		{"Canary10Percent15Minutes", "1+2@0.1 2"},
		{"Canary10Percent30Minutes", "1+2@0.1 2"},
		{"Linear10PercentEvery1Minute", "1+2@0.1 1+2@0.2 1+2@0.3 1+2@0.4 1+2@0.5 1+2@0.6 1+2@0.7 1+2@0.8 1+2@0.9 2"},
		{"Linear10PercentEvery2Minutes", "1+2@0.1 1+2@0.2 1+2@0.3 1+2@0.4 1+2@0.5 1+2@0.6 1+2@0.7 1+2@0.8 1+2@0.9 2"},
		{"Linear10PercentEvery3Minutes", "1+2@0.1 1+2@0.2 1+2@0.3 1+2@0.4 1+2@0.5 1+2@0.6 1+2@0.7 1+2@0.8 1+2@0.9 2"},
		{"Linear10PercentEvery10Minutes", "1+2@0.1 1+2@0.2 1+2@0.3 1+2@0.4 1+2@0.5 1+2@0.6 1+2@0.7 1+2@0.8 1+2@0.9 2"},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			w := newWorld(t, "QUEUED", tt.config)
			r, x := w.start("v2", "push:orders:main:"+tt.config)
			if res := w.wait(x); res.Status != states.StatusSucceeded {
				t.Fatalf("release execution %s: %s %s", res.Status, res.Error, res.Cause)
			}
			if got := strings.Join(w.aliasUpdates(), " "); got != tt.want {
				t.Errorf("alias updates = %q, want %q", got, tt.want)
			}
			w.checkInvariants(r, "2")
		})
	}
}
