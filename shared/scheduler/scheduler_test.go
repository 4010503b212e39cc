package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
)

func TestMain(m *testing.M) { os.Exit(mototest.Around(func() int { return dynalitetest.Run(m) })) }

const nightlySpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: acme/orders-api, branch: main }
triggers:
  - push: {}
  - schedule: { cron: "0 2 * * ? *", timezone: Europe/Berlin }
  - schedule: { cron: "30 12 ? * MON-FRI *" }
stages:
  - name: beta
    targets: [{ type: lambdaAlias, function: orders-beta }]
`

func parse(t testing.TB, src string) release.Pipeline {
	t.Helper()
	p, err := spec.Parse("orders.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

func TestDefinitions(t *testing.T) {
	defs, err := scheduler.Definitions(parse(t, nightlySpec))
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 2 {
		t.Fatalf("got %d definitions, want 2", len(defs))
	}
	want := []struct{ name, expr, tz string }{
		{"shipwave-orders-" + ordersTag + "-1", "cron(0 2 * * ? *)", "Europe/Berlin"},
		{"shipwave-orders-" + ordersTag + "-2", "cron(30 12 ? * MON-FRI *)", "UTC"},
	}
	for i, w := range want {
		if defs[i].Name != w.name || defs[i].Expression != w.expr || defs[i].Timezone != w.tz {
			t.Errorf("definition %d: got %s %s %s, want %s %s %s", i, defs[i].Name, defs[i].Expression, defs[i].Timezone, w.name, w.expr, w.tz)
		}
	}
	if got, want := defs[0].Input(), `{"pipeline":"orders","rule":1,"scheduledTime":"<aws.scheduler.scheduled-time>"}`; got != want {
		t.Errorf("input: got %s, want %s", got, want)
	}
	bad := []struct {
		name string
		rule release.ScheduleTrigger
		want string
	}{
		{name: "bad cron", rule: release.ScheduleTrigger{Cron: "0 2 * * *"}, want: "triggers[0].schedule.cron"},
		{name: "bad zone", rule: release.ScheduleTrigger{Cron: "0 2 * * ? *", Timezone: "Mars/Olympus"}, want: "triggers[0].schedule.timezone"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rule
			_, err := scheduler.Definitions(release.Pipeline{Name: "x", Triggers: []release.TriggerRule{{Schedule: &r}}})
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInvalid naming %s", err, tt.want)
			}
		})
	}
}

// heads is a branch head that tests move.
type heads struct{ head string }

func (h *heads) Head(context.Context, string, string) (string, error) { return h.head, nil }

type starter struct{}

func (starter) Start(_ context.Context, r release.Release) (string, error) {
	return "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:" + r.ID, nil
}

// ticking is a clock that starts at start and moves one millisecond each
// time it is read, so releases created one after the other get ids (and
// times) in that order without the test waiting.
func ticking(start time.Time) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

func newRunner(t testing.TB, h scheduler.Heads) (*scheduler.Runner, *store.Store) {
	t.Helper()
	client, table := dynalitetest.Table(t)
	st := store.New(client, table, store.WithNow(ticking(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))))
	p := parse(t, nightlySpec)
	if _, err := st.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(nightlySpec), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	return &scheduler.Runner{Specs: st, Releases: st, Heads: h, Launcher: &triggers.Launcher{Specs: st, Releases: st, Starter: starter{}}}, st
}

func finish(t testing.TB, st *store.Store, id string, to release.Status) {
	t.Helper()
	if _, err := st.TransitionRelease(context.Background(), id, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	if to != release.StatusInProgress {
		if _, err := st.TransitionRelease(context.Background(), id, to, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNightlyRelease(t *testing.T) {
	h := &heads{head: "aaaa"}
	r, st := newRunner(t, h)
	ctx := context.Background()
	night1 := scheduler.Fire{Pipeline: "orders", Rule: 1, ScheduledTime: "2026-11-22T01:00:00Z"}
	res, err := r.Fire(ctx, night1)
	if err != nil || res.Outcome != "released" || res.Version != "aaaa" {
		t.Fatalf("night 1: got %+v, %v", res, err)
	}
	rel, err := st.GetRelease(ctx, res.ReleaseID)
	if err != nil {
		t.Fatalf("GetRelease(%s): %v", res.ReleaseID, err)
	}
	if rel.Trigger.Kind != release.TriggerSchedule || rel.Trigger.Key != "schedule:orders:1:2026-11-22T01:00Z" || rel.Trigger.Branch != "main" {
		t.Errorf("got trigger %+v", rel.Trigger)
	}
	// Scheduler delivers the same firing again (at-least-once).
	if res, err := r.Fire(ctx, night1); err != nil || res.Outcome != "duplicate" || res.ReleaseID != rel.ID {
		t.Fatalf("redelivery: got %+v, %v", res, err)
	}
	steps := []struct {
		name    string
		head    string
		before  func()
		outcome string
		reason  string
	}{
		{name: "still running", head: "aaaa", before: func() { finish(t, st, rel.ID, release.StatusInProgress) }, outcome: "skipped", reason: "being released"},
		{name: "already released", head: "aaaa", before: func() {
			if _, err := st.TransitionRelease(ctx, rel.ID, release.StatusSucceeded, ""); err != nil {
				t.Fatal(err)
			}
		}, outcome: "skipped", reason: "already released"},
		{name: "new head", head: "bbbb", outcome: "released"},
	}
	for i, s := range steps {
		h.head = s.head
		if s.before != nil {
			s.before()
		}
		f := scheduler.Fire{Pipeline: "orders", Rule: 1, ScheduledTime: time.Date(2026, 11, 23+i, 1, 0, 0, 0, time.UTC).Format(time.RFC3339)}
		res, err := r.Fire(ctx, f)
		if err != nil || res.Outcome != s.outcome || !strings.Contains(res.Reason, s.reason) {
			t.Fatalf("%s: got %+v, %v; want %s (%s)", s.name, res, err, s.outcome, s.reason)
		}
		if res.Outcome == "released" {
			finish(t, st, res.ReleaseID, release.StatusRolledBack)
		}
	}
	// bbbb rolled back: the next night does not release it again.
	res, err = r.Fire(ctx, scheduler.Fire{Pipeline: "orders", Rule: 1, ScheduledTime: "2026-11-30T01:00:00Z"})
	if err != nil || res.Outcome != "skipped" || !strings.Contains(res.Reason, "already failed") {
		t.Fatalf("known bad head: got %+v, %v", res, err)
	}
}

// unknownRepo is a Heads that does not know the repository.
type unknownRepo struct{}

func (unknownRepo) Head(context.Context, string, string) (string, error) {
	return "", release.Errorf(release.ErrNotFound, "not a CodeCommit repository")
}

func TestNightlyWithoutHeads(t *testing.T) {
	for _, h := range []scheduler.Heads{nil, unknownRepo{}} {
		t.Run(fmt.Sprintf("%T", h), func(t *testing.T) { testNightlyFromHistory(t, h) })
	}
}

func testNightlyFromHistory(t *testing.T, h scheduler.Heads) {
	r, st := newRunner(t, h)
	ctx := context.Background()
	if res, err := r.Fire(ctx, scheduler.Fire{Pipeline: "orders", Rule: 1}); err != nil || res.Outcome != "skipped" {
		t.Fatalf("no history: got %+v, %v", res, err)
	}
	l := &triggers.Launcher{Specs: st, Releases: st, Starter: starter{}}
	good, _, _ := l.Launch(ctx, "orders", "good1", release.Trigger{Kind: release.TriggerPush, Key: "p1"})
	finish(t, st, good.ID, release.StatusCancelled)
	bad, _, _ := l.Launch(ctx, "orders", "bad2", release.Trigger{Kind: release.TriggerPush, Key: "p2"})
	finish(t, st, bad.ID, release.StatusRolledBack)
	res, err := r.Fire(ctx, scheduler.Fire{Pipeline: "orders", Rule: 1, ScheduledTime: "2026-11-22T01:00:00Z"})
	if err != nil || res.Outcome != "released" || res.Version != "good1" {
		t.Fatalf("got %+v, %v; want good1 released (bad2 rolled back)", res, err)
	}
}

func TestFireRejectsBadInput(t *testing.T) {
	r, _ := newRunner(t, &heads{head: "aaaa"})
	tests := []struct {
		name string
		f    scheduler.Fire
		want error
	}{
		{name: "no pipeline", f: scheduler.Fire{Rule: 1}, want: release.ErrInvalid},
		{name: "not a schedule rule", f: scheduler.Fire{Pipeline: "orders", Rule: 0}, want: release.ErrInvalid},
		{name: "rule out of range", f: scheduler.Fire{Pipeline: "orders", Rule: 7}, want: release.ErrInvalid},
		{name: "bad time", f: scheduler.Fire{Pipeline: "orders", Rule: 1, ScheduledTime: "tonight"}, want: release.ErrInvalid},
		{name: "unknown pipeline", f: scheduler.Fire{Pipeline: "nope", Rule: 1}, want: release.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := r.Fire(context.Background(), tt.f); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLocal(t *testing.T) {
	client, table := dynalitetest.Table(t)
	st := store.New(client, table)
	if _, err := st.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(nightlySpec), Parsed: parse(t, nightlySpec)}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // a Friday
	var fired []string
	ctx, cancel := context.WithCancel(context.Background())
	l := &scheduler.Local{
		Pipelines: st,
		Now:       func() time.Time { return now },
		Wait: func(ctx context.Context, until time.Time) error {
			if len(fired) >= 4 {
				cancel()
				return ctx.Err()
			}
			now = until
			return nil
		},
		Fire: func(_ context.Context, f scheduler.Fire) (scheduler.Result, error) {
			fired = append(fired, fmt.Sprintf("%s rule %d", f.ScheduledTime, f.Rule))
			return scheduler.Result{Outcome: "released"}, nil
		},
	}
	if err := l.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// 02:00 Berlin is 01:00 UTC in November; the weekday rule skips the weekend.
	want := []string{
		"2026-11-20T01:00:00Z rule 1",
		"2026-11-20T12:30:00Z rule 2",
		"2026-11-21T01:00:00Z rule 1",
		"2026-11-22T01:00:00Z rule 1",
	}
	if strings.Join(fired, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got firings\n%s\nwant\n%s", strings.Join(fired, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzFireInput(f *testing.F) {
	f.Add(`{"pipeline":"orders","rule":1,"scheduledTime":"2026-11-22T01:00:00Z"}`)
	f.Add(`{"pipeline":"","rule":-1}`)
	f.Fuzz(func(t *testing.T, s string) {
		var fire scheduler.Fire
		if json.Unmarshal([]byte(s), &fire) != nil {
			return
		}
		r := &scheduler.Runner{Specs: noSpecs{}, Releases: noReleases{}, Launcher: nil}
		_, err := r.Fire(context.Background(), fire)
		if err == nil {
			t.Fatalf("fired %+v against no specs", fire)
		}
	})
}

type noSpecs struct{}

func (noSpecs) GetSpec(context.Context, string, int) (release.SpecVersion, error) {
	return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "no specs")
}

type noReleases struct{}

func (noReleases) ListReleases(context.Context, string, int, string) ([]release.Release, string, error) {
	return nil, "", nil
}

func TestSampleEvent(t *testing.T) {
	raw, err := os.ReadFile("../../events/schedule-fire.json")
	if err != nil {
		t.Fatal(err)
	}
	var f scheduler.Fire
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	r, _ := newRunner(t, &heads{head: "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5"})
	if res, err := r.Fire(context.Background(), f); err != nil || res.Outcome != "released" {
		t.Fatalf("got %+v, %v", res, err)
	}
}
