package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/controlengine"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/schedule"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/lambdaalias"
	"github.com/shipwave/shipwave/shared/triggers"
)

// stack is the whole control plane behind the Slack handler: the real
// state machines on the embedded engine (virtual time), the control
// handlers, the store on dynalite and the Lambda alias shifter against a
// fake Lambda, as shared/control's scenarios wire it.
type stack struct {
	t          *testing.T
	clock      *states.VirtualClock
	engine     *states.Engine
	store      *store.Store
	lambda     *awsfake.Lambda
	release    *states.StateMachine
	releaseARN string
	srv        *httptest.Server

	mu     sync.Mutex
	shifts []time.Time // virtual time of every traffic shift
}

const stackSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders, branch: main }
alarms: [orders-5xx]
triggers: [{ chat: {} }]
chat:
  deployers: [U2CERLKJA]
  approvers: [U0APPROVE]
%WINDOWS%
stages:
  - name: prod
%APPROVAL%
    waves:
      - name: one-box
        targets: [{ type: lambdaAlias, function: orders, alias: live }]
        deployment: Canary10Percent5Minutes
        bake: 10m
`

// timedShifter records when traffic moves.
type timedShifter struct {
	control.Shifter
	s *stack
}

func (t timedShifter) Shift(ctx context.Context, tg release.Target, sp traffic.Split) error {
	t.s.mu.Lock()
	t.s.shifts = append(t.s.shifts, t.s.clock.Now())
	t.s.mu.Unlock()
	return t.Shifter.Shift(ctx, tg, sp)
}

// engineStarter starts the release state machine on the engine, named by
// the release id, as sfn.Starter does on AWS.
type engineStarter struct {
	s  *stack
	mu sync.Mutex
	xs map[string]*states.Execution
}

func (e *engineStarter) Start(ctx context.Context, r release.Release) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.xs[r.ID]; ok {
		return x.ARN(), nil
	}
	in, _ := json.Marshal(sfn.InputOf(r))
	x, err := e.s.engine.Start(context.WithoutCancel(ctx), e.s.release, states.StartInput{Name: r.ID, Input: in,
		StateMachineArn: e.s.releaseARN})
	if err != nil {
		return "", err
	}
	e.xs[r.ID] = x
	return x.ARN(), nil
}

func newStack(t *testing.T, windows, approval string) (*stack, *engineStarter) {
	t.Helper()
	ctx := context.Background()
	s := &stack{t: t, clock: states.NewVirtualClock(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))} // a Wednesday
	client, table := dynalitetest.Table(t)
	s.store = store.New(client, table, store.WithNow(s.clock.Now))
	s.lambda = awsfake.NewLambda(t)
	s.lambda.AddFunction("orders", "sha-v1")
	s.lambda.Publish("orders", "v1")
	s.lambda.CreateAlias("orders", "live", "1")
	s.lambda.UpdateCode("orders", "sha-v2")
	shifter := timedShifter{Shifter: lambdaalias.New(lambda.NewFromConfig(awsfake.Config(s.lambda.URL()))), s: s}

	svc := &control.Service{
		Store:    s.store,
		Shifters: func(release.Target) (control.Shifter, error) { return shifter, nil },
		Alarms: control.AlarmFunc(func(_ context.Context, names []string) (map[string]alarms.State, error) {
			out := map[string]alarms.State{}
			for _, n := range names {
				out[n] = alarms.StateOK
			}
			return out, nil
		}),
		Hooks:   control.HookFunc(func(context.Context, release.Hook, hooks.Invocation) error { return nil }),
		Windows: control.WindowFunc(schedule.NextOpen),
		Now:     s.clock.Now,
	}
	e, err := controlengine.New(states.Options{Clock: s.clock}, controlengine.Handlers{
		Service: svc,
		LoadTestAggregate: func(context.Context, loadtest.AggregateInput) (loadtest.Report, error) {
			return loadtest.Report{Passed: true}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.engine, s.release, s.releaseARN = e.Engine, e.Release, e.ReleaseARN
	svc.Callbacks = s.engine
	src := strings.Replace(strings.Replace(stackSpec, "%WINDOWS%", windows, 1), "%APPROVAL%", approval, 1)
	p, err := spec.Parse("orders.yaml", []byte(src))
	if err != nil {
		t.Fatalf("spec: %v\n%s", err, src)
	}
	if _, err := s.store.SaveSpec(ctx, release.SpecVersion{Pipeline: "orders", Source: []byte(src), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	starter := &engineStarter{s: s, xs: map[string]*states.Execution{}}
	ops := &chatops.Ops{
		Store:     s.store,
		Launcher:  &triggers.Launcher{Specs: s.store, Releases: s.store, Starter: starter, Now: s.clock.Now},
		Decider:   svc,
		Callbacks: s.engine,
		Refusals:  s.store,
		Now:       s.clock.Now,
	}
	h := &slack.Handler{Secrets: auth.Static{"slack": signingSecret}, SigningSecret: "slack", Replays: s.store, Ops: ops,
		Now: s.clock.Now, Budget: 10 * time.Second}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	return s, starter
}

// slack sends a signed /ship command as user at the virtual now.
func (s *stack) slack(user, text string) slack.Message {
	s.t.Helper()
	w := &world{srv: s.srv}
	_, m, _ := w.post(s.t, form(user, text, ""), s.clock.Now(), "")
	return m
}

// waitFor polls (in real time) until the release has a token of kind.
func (s *stack) waitFor(id string, kind release.TokenKind) release.TaskToken {
	s.t.Helper()
	var found release.TaskToken
	eventually.True(s.t, 20*time.Second, fmt.Sprintf("release %s to wait for %s", id, kind), func() bool {
		toks, err := s.store.TokensByRelease(context.Background(), id)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, tok := range toks {
			if tok.Kind == kind {
				found = tok
				return true
			}
		}
		return false
	})
	return found
}

func (s *stack) finish(st *engineStarter, id string) states.Result {
	s.t.Helper()
	st.mu.Lock()
	x := st.xs[id]
	st.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := x.Wait(ctx)
	if err != nil {
		s.t.Fatalf("execution did not end: %v", err)
	}
	return res
}

func (s *stack) log(id string) string {
	s.t.Helper()
	evs, err := s.store.Events(context.Background(), id, 0, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Type))
	}
	return strings.Join(out, " ")
}

func (s *stack) only() release.Release {
	s.t.Helper()
	rels, _, err := s.store.ListReleases(context.Background(), "orders", 10, "")
	if err != nil || len(rels) != 1 {
		s.t.Fatalf("got %d releases, %v; want 1", len(rels), err)
	}
	return rels[0]
}

func TestScenarioApprovalFromSlack(t *testing.T) {
	s, st := newStack(t, "", "    approval: { approvers: [U0APPROVE], timeout: 1h }")
	s.clock.Spawn() // hold virtual time while people type
	if m := s.slack("U2CERLKJA", "deploy orders v2"); !strings.Contains(m.Text, "started release") {
		t.Fatalf("deploy: %q", m.Text)
	}
	rel := s.only()
	s.waitFor(rel.ID, release.TokenApproval)
	if m := s.slack("U2CERLKJA", "approve orders "+rel.ID); !strings.Contains(m.Text, ":no_entry:") {
		t.Fatalf("deployer approving: got %q", m.Text)
	}
	if m := s.slack("U0APPROVE", "approve orders ship it"); !strings.Contains(m.Text, "approved release") {
		t.Fatalf("approver: got %q", m.Text)
	}
	s.clock.Park()
	if res := s.finish(st, rel.ID); res.Status != states.StatusSucceeded {
		t.Fatalf("execution %s %s %s; log: %s", res.Status, res.Error, res.Cause, s.log(rel.ID))
	}
	log := s.log(rel.ID)
	for _, want := range []string{"ApprovalWaiting Note Approved", "TrafficShifted", "ReleaseSucceeded"} {
		if !strings.Contains(log, want) {
			t.Errorf("log %q lacks %q", log, want)
		}
	}
	if a, _ := s.lambda.Alias("orders", "live"); a.Version != "2" {
		t.Errorf("alias on %s, want 2", a.Version)
	}
}

func TestScenarioApprovalTimesOutAsRejection(t *testing.T) {
	s, st := newStack(t, "", "    approval: { approvers: [U0APPROVE], timeout: 1h }")
	s.slack("U2CERLKJA", "deploy orders v2")
	rel := s.only()
	res := s.finish(st, rel.ID)
	if res.Status == states.StatusSucceeded || s.releaseStatus(rel.ID) == release.StatusSucceeded {
		t.Fatalf("an unapproved release succeeded; log: %s", s.log(rel.ID))
	}
	if n := len(s.shifts); n != 0 {
		t.Errorf("traffic moved %d times without approval", n)
	}
	evs, _ := s.store.Events(context.Background(), rel.ID, 0, 0)
	last := evs[len(evs)-1]
	if got := s.releaseStatus(rel.ID); got != release.StatusCancelled || last.Type != release.EventReleaseCancelled || !strings.Contains(strings.ToLower(last.Message), "approval") {
		t.Errorf("got %s ending with %s %q; want CANCELLED with a ReleaseCancelled event about the approval", got, last.Type, last.Message)
	}
	timedOut := false
	for _, ev := range evs {
		timedOut = timedOut || ev.Type == release.EventApprovalTimedOut
	}
	if !timedOut {
		t.Errorf("no ApprovalTimedOut event; log: %s", s.log(rel.ID))
	}
	if a, _ := s.lambda.Alias("orders", "live"); a.Version != "1" || len(a.Weights) != 0 {
		t.Errorf("alias on %s %v, want 1", a.Version, a.Weights)
	}
}

func (s *stack) releaseStatus(id string) release.Status {
	r, err := s.store.GetRelease(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return r.Status
}

func TestScenarioRollbackFromSlackDuringCanary(t *testing.T) {
	s, st := newStack(t, "", "")
	s.clock.Spawn()
	s.slack("U2CERLKJA", "deploy orders v2")
	rel := s.only()
	s.waitFor(rel.ID, release.TokenBake)
	if a, _ := s.lambda.Alias("orders", "live"); len(a.Weights) == 0 {
		t.Fatalf("not in the canary: alias %+v", a)
	}
	if m := s.slack("U0APPROVE", "rollback orders"); !strings.Contains(m.Text, ":no_entry:") {
		t.Fatalf("approver rolling back: got %q", m.Text)
	}
	if m := s.slack("U2CERLKJA", "rollback orders p99 is up"); !strings.Contains(m.Text, "roll back") {
		t.Fatalf("rollback: got %q", m.Text)
	}
	s.clock.Park()
	s.finish(st, rel.ID)
	if got := s.releaseStatus(rel.ID); got != release.StatusRolledBack {
		t.Fatalf("release %s, want ROLLED_BACK; log: %s", got, s.log(rel.ID))
	}
	if a, _ := s.lambda.Alias("orders", "live"); a.Version != "1" || len(a.Weights) != 0 {
		t.Errorf("alias on %s %v, want 100%% on 1", a.Version, a.Weights)
	}
	if log := s.log(rel.ID); !strings.Contains(log, "RollbackStarted") || !strings.Contains(log, "RolledBack") {
		t.Errorf("log %q lacks the rollback", log)
	}
}

func TestScenarioReleaseOutsideDeployWindowWaits(t *testing.T) {
	// Wednesday 10:00 UTC; the window is Thursdays 09:00-16:00 in New York.
	s, st := newStack(t, `deployWindows: [{ days: Thu, hours: "09:00-16:00", timezone: America/New_York }]`, "")
	s.slack("U2CERLKJA", "deploy orders v2")
	rel := s.only()
	if res := s.finish(st, rel.ID); res.Status != states.StatusSucceeded {
		t.Fatalf("execution %s %s; log: %s", res.Status, res.Cause, s.log(rel.ID))
	}
	if log := s.log(rel.ID); !strings.Contains(log, "DeployWindowWaiting") {
		t.Errorf("log %q does not say it waited for the window", log)
	}
	ny, _ := time.LoadLocation("America/New_York")
	if len(s.shifts) == 0 {
		t.Fatal("no traffic moved")
	}
	for _, at := range s.shifts {
		l := at.In(ny)
		if l.Weekday() != time.Thursday || l.Hour() < 9 || l.Hour() >= 16 {
			t.Errorf("traffic shifted at %s (%s New York), outside the window", at, l)
		}
	}
}

func TestScenarioBlockedDateKeepsTheWindowShut(t *testing.T) {
	// Wednesday 10:00 UTC is inside the Wed/Thu 08:00-18:00 UTC window, but
	// today is a blocked date (a freeze): traffic waits for Thursday.
	s, st := newStack(t, `deployWindows: [{ days: Wed-Thu, hours: "08:00-18:00", timezone: UTC, blocked: [2026-03-04] }]`, "")
	s.slack("U2CERLKJA", "deploy orders v2")
	rel := s.only()
	if res := s.finish(st, rel.ID); res.Status != states.StatusSucceeded {
		t.Fatalf("execution %s %s; log: %s", res.Status, res.Cause, s.log(rel.ID))
	}
	if len(s.shifts) == 0 {
		t.Fatal("no traffic moved")
	}
	for _, at := range s.shifts {
		if at.Before(time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)) || at.Hour() >= 18 {
			t.Errorf("traffic shifted at %s, during the freeze or outside the window", at)
		}
	}
	if log := s.log(rel.ID); !strings.Contains(log, "DeployWindowWaiting") {
		t.Errorf("log %q does not say it waited", log)
	}
}
