package chatops_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/release"
)

// slackUser is a Slack actor as the handler builds it: by id only; the
// name (changeable) is not an identity.
func slackUser(id, _ string) chatops.Actor {
	return chatops.Actor{Names: []string{id, "T0001:" + id, "T0001/" + id}, Source: "slack"}
}

func TestLaunch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tr := release.Trigger{Kind: release.TriggerSchedule, Key: "schedule:orders:2026-11-22T02:00Z", Source: "scheduler"}
	a, created, err := f.launcher.Launch(ctx, "orders", "abc123", tr)
	if err != nil || !created || a.Execution == "" || a.Status != release.StatusPending || a.SpecVersion != 1 {
		t.Fatalf("got %+v created=%v err=%v, want a created, started PENDING release of spec v1", a, created, err)
	}
	b, created, err := f.launcher.Launch(ctx, "orders", "abc123", tr)
	if err != nil || created || b.ID != a.ID {
		t.Fatalf("second launch: got %s created=%v err=%v, want %s not created", b.ID, created, err, a.ID)
	}
	if f.starter.calls != 1 {
		t.Errorf("got %d starts, want 1", f.starter.calls)
	}
	if ev := f.events(t, a.ID); len(ev) != 1 || ev[0].Type != release.EventCreated {
		t.Errorf("got events %+v, want one ReleaseCreated", ev)
	}
	tests := []struct {
		name, pipeline, version, key string
		want                         error
	}{
		{name: "unknown pipeline", pipeline: "nope", version: "v", key: "k", want: release.ErrNotFound},
		{name: "no version", pipeline: "orders", key: "k", want: release.ErrInvalid},
		{name: "no key", pipeline: "orders", version: "v", want: release.ErrInvalid},
		{name: "no pipeline", version: "v", key: "k", want: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.launcher.Launch(ctx, tt.pipeline, tt.version, release.Trigger{Kind: release.TriggerManual, Key: tt.key})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestLaunchRefusesUnlistedKinds: the spec's triggers are the authority; a
// refused start writes nothing, and a manual start is always allowed.
func TestLaunchRefusesUnlistedKinds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, k := range []release.TriggerKind{release.TriggerChat, release.TriggerVoice, release.TriggerCodePipeline, release.TriggerSchedule} {
		_, _, err := f.launcher.Launch(ctx, "quiet", "v1", release.Trigger{Kind: k, Key: string(k) + ":x"})
		if !errors.Is(err, release.ErrUnauthorized) || !strings.Contains(err.Error(), "started manually only") {
			t.Errorf("%s start of a pipeline without triggers: err = %v, want ErrUnauthorized saying manual only", k, err)
		}
	}
	if rels, _, _ := f.store.ListReleases(ctx, "quiet", 10, ""); len(rels) != 0 || f.starter.calls != 0 {
		t.Fatalf("refused starts wrote %d releases and %d starts, want none", len(rels), f.starter.calls)
	}
	if _, created, err := f.launcher.Launch(ctx, "quiet", "v1", release.Trigger{Kind: release.TriggerManual, Key: "manual:x"}); err != nil || !created {
		t.Fatalf("manual start: created=%v err=%v, want created", created, err)
	}
}

func TestLaunchResumesAfterAFailedStart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.starter.fail = 1
	tr := release.Trigger{Kind: release.TriggerCodePipeline, Key: "codepipeline:job-1"}
	if _, _, err := f.launcher.Launch(ctx, "orders", "abc", tr); err == nil {
		t.Fatal("got no error from a failed start")
	}
	rel, created, err := f.launcher.Launch(ctx, "orders", "abc", tr)
	if err != nil || created || rel.Execution == "" {
		t.Fatalf("retry: got %+v created=%v err=%v, want the same release started", rel, created, err)
	}
	evs := f.events(t, rel.ID)
	if len(evs) != 2 || evs[1].Type != release.EventNote || !strings.Contains(evs[1].Message, "resumed") {
		t.Errorf("got events %+v, want created then a resume note", evs)
	}
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		actor    chatops.Actor
		pipeline string
		role     chatops.Role
		want     error
		wantName string
	}{
		{name: "deployer by id", actor: slackUser("U2CERLKJA", "roadrunner"), pipeline: "orders", role: chatops.RoleDeployer, wantName: "U2CERLKJA"},
		{name: "a user name is no identity", actor: slackUser("U999", "alice"), pipeline: "orders", role: chatops.RoleDeployer, want: release.ErrUnauthorized},
		{name: "team-qualified entry", actor: slackUser("U0TEAMED", ""), pipeline: "orders", role: chatops.RoleDeployer, wantName: "T0001:U0TEAMED"},
		{name: "team-qualified entry, other team", actor: chatops.Actor{Names: []string{"U0TEAMED", "T0002:U0TEAMED", "T0002/U0TEAMED"}, Source: "slack"}, pipeline: "orders", role: chatops.RoleDeployer, want: release.ErrUnauthorized},
		{name: "approver is not a deployer", actor: slackUser("U0APPROVE", "bob"), pipeline: "orders", role: chatops.RoleDeployer, want: release.ErrUnauthorized},
		{name: "approver", actor: slackUser("U0APPROVE", "bob"), pipeline: "orders", role: chatops.RoleApprover, wantName: "U0APPROVE"},
		{name: "stranger", actor: slackUser("U666", "mallory"), pipeline: "orders", role: chatops.RoleApprover, want: release.ErrUnauthorized},
		{name: "pipeline without chat section", actor: slackUser("U2CERLKJA", "alice"), pipeline: "quiet", role: chatops.RoleDeployer, want: release.ErrUnauthorized},
		{name: "unknown pipeline", actor: slackUser("U2CERLKJA", "alice"), pipeline: "nope", role: chatops.RoleDeployer, want: release.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, err := f.ops.Authorize(context.Background(), tt.actor, tt.pipeline, tt.role)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if name != tt.wantName {
				t.Errorf("got name %q, want %q", name, tt.wantName)
			}
		})
	}
}

func TestDeploy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.ops.Deploy(ctx, slackUser("U666", "mallory"), "orders", "abc", "trig-1"); !errors.Is(err, release.ErrUnauthorized) {
		t.Fatalf("stranger: got %v, want ErrUnauthorized", err)
	}
	if rels, _ := f.ops.History(ctx, "orders", 10); len(rels) != 0 {
		t.Fatalf("a refused deploy created %d releases", len(rels))
	}
	a, err := f.ops.Deploy(ctx, slackUser("U2CERLKJA", "roadrunner"), "orders", "abc", "trig-1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Trigger.Kind != release.TriggerChat || a.Trigger.Actor != "U2CERLKJA" || a.Trigger.Key != "chat:slack:trig-1" {
		t.Errorf("got trigger %+v, want chat by U2CERLKJA keyed chat:slack:trig-1", a.Trigger)
	}
	b, err := f.ops.Deploy(ctx, slackUser("U2CERLKJA", "roadrunner"), "orders", "abc", "trig-1")
	if err != nil || b.ID != a.ID {
		t.Fatalf("retried request: got %s, %v; want %s", b.ID, err, a.ID)
	}
	if _, err := f.ops.Deploy(ctx, slackUser("U2CERLKJA", "roadrunner"), "orders", "", "trig-2"); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("no version: got %v, want ErrInvalid", err)
	}
}

func TestDecide(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rel := f.release(t, "r1")
	// Authorize first: a stranger learns nothing about what waits.
	if _, err := f.ops.Decide(ctx, slackUser("U666", "mallory"), "orders", "", true, ""); !errors.Is(err, release.ErrUnauthorized) || strings.Contains(err.Error(), "waiting") {
		t.Fatalf("stranger, nothing waiting: got %v, want ErrUnauthorized saying nothing about approvals", err)
	}
	if _, err := f.ops.Decide(ctx, slackUser("U0APPROVE", "bob"), "orders", "", true, ""); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("nothing waiting: got %v, want ErrNotFound", err)
	}
	f.token(t, release.TaskToken{Token: "tok-approval", Kind: release.TokenApproval, ReleaseID: rel.ID, Stage: "prod", Approvers: []string{"bob", "U0APPROVE"}})

	// A stranger is refused; without a release id nothing is written.
	before := len(f.events(t, rel.ID))
	if _, err := f.ops.Decide(ctx, slackUser("U666", "mallory"), "orders", "", true, ""); !errors.Is(err, release.ErrUnauthorized) {
		t.Fatalf("stranger: got %v, want ErrUnauthorized", err)
	}
	// Naming the release records one bounded note per release and period.
	for range 5 {
		if _, err := f.ops.Decide(ctx, slackUser("U666"+strings.Repeat("x", 500), "mallory"), "orders", rel.ID, true, ""); !errors.Is(err, release.ErrUnauthorized) {
			t.Fatalf("stranger: got %v, want ErrUnauthorized", err)
		}
	}
	evs := f.events(t, rel.ID)
	if len(evs) != before+1 {
		t.Fatalf("6 refusals wrote %d log entries, want 1 (rate limited)", len(evs)-before)
	}
	if ev := lastEvent(t, evs); ev.Type != release.EventNote || !strings.Contains(ev.Message, "refused approve") || !strings.Contains(ev.Message, "U666") || len(ev.Message) > 300 {
		t.Errorf("got last event %+v, want a bounded refusal note naming U666", ev)
	}
	if len(f.callbacks.successes) != 0 {
		t.Fatalf("a refused approval completed the gate")
	}
	got, err := f.ops.Decide(ctx, slackUser("U0APPROVE", "bob"), "orders", "", true, "ship it")
	if err != nil || got.ID != rel.ID {
		t.Fatalf("approver: got %s, %v; want %s approved", got.ID, err, rel.ID)
	}
	if len(f.callbacks.successes) != 1 || !strings.HasPrefix(f.callbacks.successes[0], "tok-approval ") {
		t.Errorf("got successes %v, want tok-approval completed", f.callbacks.successes)
	}
	if ev := lastEvent(t, f.events(t, rel.ID)); ev.Type != release.EventApproved || !strings.Contains(ev.Message, "ship it (via slack)") {
		t.Errorf("got last event %+v, want Approved with the comment", ev)
	}
}

// TestCurrentReleaseIsBoundToTheRequest: a command without a release id
// acts only on a release its sender could have seen, and only when exactly
// one fits.
func TestCurrentReleaseIsBoundToTheRequest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	approver := slackUser("U0APPROVE", "bob")
	approver.AsOf = f.now.Add(-time.Minute) // the request was signed a minute ago
	rel := f.release(t, "r1")
	f.token(t, release.TaskToken{Token: "tok-1", Kind: release.TokenApproval, ReleaseID: rel.ID, Stage: "prod", Approvers: []string{"U0APPROVE"}})
	if _, err := f.ops.Decide(ctx, approver, "orders", "", true, ""); !errors.Is(err, release.ErrConflict) || !strings.Contains(err.Error(), "started after this request") {
		t.Fatalf("release newer than the request: got %v, want ErrConflict", err)
	}
	if len(f.callbacks.successes) != 0 {
		t.Fatal("a request approved a release created after it")
	}
	approver.AsOf = f.now
	f.now = f.now.Add(time.Second)
	r2 := f.release(t, "r2")
	f.token(t, release.TaskToken{Token: "tok-2", Kind: release.TokenApproval, ReleaseID: r2.ID, Stage: "prod", Approvers: []string{"U0APPROVE"}})
	if _, err := f.ops.Decide(ctx, approver, "orders", "", true, ""); !errors.Is(err, release.ErrConflict) || !strings.Contains(err.Error(), "name the one you mean") {
		t.Fatalf("two waiting: got %v, want ErrConflict asking for an id", err)
	}
	if _, err := f.ops.Rollback(ctx, slackUser("U2CERLKJA", ""), "orders", "", ""); !errors.Is(err, release.ErrConflict) || !strings.Contains(err.Error(), "name the one you mean") {
		t.Fatalf("rollback with two active: got %v, want ErrConflict asking for an id", err)
	}
	if len(f.callbacks.successes)+len(f.callbacks.failures) != 0 {
		t.Fatal("an ambiguous command acted")
	}
	if got, err := f.ops.Decide(ctx, approver, "orders", rel.ID, true, ""); err != nil || got.ID != rel.ID {
		t.Fatalf("named release: got %s, %v", got.ID, err)
	}
}

// TestNewerReleaseMeansNameIt: even when one release waits, a request that
// names none is refused if any release of the pipeline is newer than it.
func TestNewerReleaseMeansNameIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rel := f.release(t, "r1")
	f.token(t, release.TaskToken{Token: "tok-1", Kind: release.TokenApproval, ReleaseID: rel.ID, Stage: "prod", Approvers: []string{"U0APPROVE"}})
	approver := slackUser("U0APPROVE", "bob")
	approver.AsOf = f.now
	f.now = f.now.Add(time.Minute)
	newer := f.release(t, "r2")
	if _, err := f.store.TransitionRelease(ctx, newer.ID, release.StatusFailed, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ops.Decide(ctx, approver, "orders", "", true, ""); !errors.Is(err, release.ErrConflict) || !strings.Contains(err.Error(), newer.ID) {
		t.Fatalf("got %v, want ErrConflict naming the newer release", err)
	}
	if len(f.callbacks.successes) != 0 {
		t.Fatal("approved although a newer release exists")
	}
}

func TestDecideChatApproverNotOnTheGate(t *testing.T) {
	f := newFixture(t)
	rel := f.release(t, "r1")
	f.token(t, release.TaskToken{Token: "tok", Kind: release.TokenApproval, ReleaseID: rel.ID, Stage: "prod", Approvers: []string{"carol"}})
	before := len(f.events(t, rel.ID))
	for range 4 {
		_, err := f.ops.Decide(context.Background(), slackUser("U0APPROVE", "bob"), "orders", rel.ID, false, "")
		if !errors.Is(err, release.ErrUnauthorized) {
			t.Fatalf("got %v, want ErrUnauthorized from the gate's own list", err)
		}
	}
	evs := f.events(t, rel.ID)
	if ev := lastEvent(t, evs); !strings.Contains(ev.Message, "refused") || !strings.Contains(ev.Message, "not an approver of the gate") {
		t.Errorf("got last event %+v, want the refusal recorded", ev)
	}
	if len(evs) != before+1 {
		t.Errorf("4 refusals wrote %d log entries, want 1 (rate limited)", len(evs)-before)
	}
	if len(f.callbacks.failures)+len(f.callbacks.successes) != 0 {
		t.Error("a refused decision completed the gate")
	}
}

func TestRollback(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	deployer := slackUser("U2CERLKJA", "roadrunner")
	if _, err := f.ops.Rollback(ctx, deployer, "orders", "", ""); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("nothing active: got %v, want ErrNotFound", err)
	}
	rel := f.release(t, "r1")
	f.token(t, release.TaskToken{Token: "bake-1", Kind: release.TokenBake, ReleaseID: rel.ID, Stage: "prod", Target: "orders", Alarms: []string{"orders-5xx"}})
	if _, err := f.ops.Rollback(ctx, slackUser("U0APPROVE", "bob"), "orders", "", ""); !errors.Is(err, release.ErrUnauthorized) {
		t.Fatalf("approver: got %v, want ErrUnauthorized", err)
	}
	if len(f.callbacks.failures) != 0 {
		t.Fatal("a refused rollback failed a bake")
	}
	if _, err := f.ops.Rollback(ctx, deployer, "orders", "", "p99 looks bad"); err != nil {
		t.Fatal(err)
	}
	// The release's own failure path: its bake fails with RollbackRequested
	// and the request is recorded once, with who asked and why.
	want := "bake-1/RollbackRequested/rollback requested by U2CERLKJA via slack"
	if len(f.callbacks.failures) != 1 || f.callbacks.failures[0] != want {
		t.Errorf("got failures %v, want [%s]", f.callbacks.failures, want)
	}
	if ev := lastEvent(t, f.events(t, rel.ID)); ev.Type != release.EventRollbackRequest || !strings.Contains(ev.Message, "U2CERLKJA via slack: p99 looks bad") {
		t.Errorf("got last event %+v, want RollbackRequested naming the actor and reason", ev)
	}
	// Asking again records nothing new and fails no token twice.
	before := len(f.events(t, rel.ID))
	if _, err := f.ops.Rollback(ctx, deployer, "orders", rel.ID, ""); err != nil {
		t.Errorf("again: got %v, want nil (already requested)", err)
	}
	if after := len(f.events(t, rel.ID)); after != before || len(f.callbacks.failures) != 1 {
		t.Errorf("asking again appended %d events and made %d failures", after-before, len(f.callbacks.failures))
	}
}

func TestStatusAndHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s, err := f.ops.Status(ctx, "orders")
	if err != nil || s.Latest != nil {
		t.Fatalf("empty: got %+v, %v", s, err)
	}
	f.release(t, "r1")
	f.now = f.now.Add(time.Minute)
	r2 := f.release(t, "r2")
	f.token(t, release.TaskToken{Token: "tok", Kind: release.TokenApproval, ReleaseID: r2.ID, Stage: "prod"})
	s, err = f.ops.Status(ctx, "orders")
	if err != nil || s.Latest == nil || s.Latest.ID != r2.ID || s.Waiting != "approval of prod" || s.LastEvent == nil {
		t.Fatalf("got %+v, %v; want %s waiting for approval of prod", s, err, r2.ID)
	}
	h, err := f.ops.History(ctx, "orders", 5)
	if err != nil || len(h) != 2 || h[0].ID != r2.ID {
		t.Fatalf("got history %v, %v; want r2 then r1", h, err)
	}
	if _, err := f.ops.Status(ctx, "nope"); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("unknown pipeline: got %v, want ErrNotFound", err)
	}
}

func TestUndoAndRestoreFromChat(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	deployer := slackUser("U2CERLKJA", "roadrunner")
	rel := f.release(t, "r1")
	if _, err := f.ops.Undo(ctx, slackUser("U0APPROVE", "bob"), "orders", rel.ID, ""); !errors.Is(err, release.ErrUnauthorized) {
		t.Errorf("undo by a non-deployer = %v, want ErrUnauthorized", err)
	}
	if _, err := f.ops.Undo(ctx, deployer, "orders", "", ""); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("undo without a release id = %v, want ErrInvalid", err)
	}
	// A running release is rolled back through its own failure path.
	if _, err := f.ops.Undo(ctx, deployer, "orders", rel.ID, "bad"); err != nil {
		t.Fatal(err)
	}
	if ev := lastEvent(t, f.events(t, rel.ID)); ev.Type != release.EventRollbackRequest {
		t.Errorf("last event %+v, want RollbackRequested", ev)
	}
	if _, err := f.ops.Restore(ctx, slackUser("U0APPROVE", "bob"), "orders", "", "", "req-1"); !errors.Is(err, release.ErrUnauthorized) {
		t.Errorf("restore by a non-deployer = %v, want ErrUnauthorized", err)
	}
}
