package chatops_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: acme/orders-api, branch: main }
approvers: [release-managers]
triggers: [{ chat: {} }, { voice: {} }, { codePipeline: {} }, { schedule: { cron: "0 2 * * ? *" } }]
chat:
  deployers: [U2CERLKJA, alice, "T0001:U0TEAMED"]
  approvers: [U0APPROVE, bob]
stages:
  - name: beta
    targets: [{ type: lambdaAlias, function: orders-beta }]
  - name: prod
    approval: { approvers: [bob, U0APPROVE], timeout: 1h }
    targets: [{ type: lambdaAlias, function: orders }]
`

const quietSpec = `apiVersion: shipwave/v1
pipeline: quiet
source: { repository: acme/quiet }
stages:
  - name: beta
    targets: [{ type: lambdaAlias, function: quiet-beta }]
`

// starter names an execution per release and can fail.
type starter struct {
	mu      sync.Mutex
	started map[string]string
	calls   int
	fail    int
}

func (s *starter) Start(_ context.Context, r release.Release) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail > 0 {
		s.fail--
		return "", errors.New("states: service unavailable")
	}
	if s.started == nil {
		s.started = map[string]string{}
	}
	if arn, ok := s.started[r.ID]; ok {
		return arn, nil
	}
	arn := "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:" + r.ID
	s.started[r.ID] = arn
	return arn, nil
}

// callbacks records task completions.
type callbacks struct {
	mu        sync.Mutex
	successes []string
	failures  []string // token/error/cause
}

func (c *callbacks) SendTaskSuccess(_ context.Context, token string, out []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.successes = append(c.successes, token+" "+string(out))
	return nil
}

func (c *callbacks) SendTaskFailure(_ context.Context, token, name, cause string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = append(c.failures, fmt.Sprintf("%s/%s/%s", token, name, cause))
	return nil
}

type fixture struct {
	store     *store.Store
	starter   *starter
	callbacks *callbacks
	launcher  *triggers.Launcher
	ops       *chatops.Ops
	now       time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	client, table := dynalitetest.Table(t)
	f := &fixture{starter: &starter{}, callbacks: &callbacks{}, now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	now := func() time.Time { return f.now }
	f.store = store.New(client, table, store.WithNow(now))
	for name, src := range map[string]string{"orders.yaml": ordersSpec, "quiet.yaml": quietSpec} {
		p, err := spec.Parse(name, []byte(src))
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		if _, err := f.store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: p.Name, Source: []byte(src), Parsed: p}); err != nil {
			t.Fatalf("save %s: %v", name, err)
		}
	}
	f.launcher = &triggers.Launcher{Specs: f.store, Releases: f.store, Starter: f.starter, Now: now}
	svc := &control.Service{Store: f.store, Callbacks: f.callbacks, Now: now}
	f.ops = &chatops.Ops{Store: f.store, Launcher: f.launcher, Decider: svc, Callbacks: f.callbacks, Refusals: f.store, Now: now}
	return f
}

// release creates a started release of orders and returns it.
func (f *fixture) release(t testing.TB, key string) release.Release {
	t.Helper()
	rel, _, err := f.launcher.Launch(context.Background(), "orders", "v-"+key, release.Trigger{Kind: release.TriggerManual, Key: key})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	if _, err := f.store.TransitionRelease(context.Background(), rel.ID, release.StatusInProgress, ""); err != nil {
		t.Fatalf("transition: %v", err)
	}
	return rel
}

func (f *fixture) token(t testing.TB, tok release.TaskToken) {
	t.Helper()
	tok.CreatedAt, tok.ExpiresAt = f.now, f.now.Add(time.Hour)
	if tok.Pipeline == "" {
		tok.Pipeline = "orders"
	}
	if err := f.store.PutTaskToken(context.Background(), tok); err != nil {
		t.Fatalf("put token: %v", err)
	}
}

func (f *fixture) events(t testing.TB, id string) []release.Event {
	t.Helper()
	evs, err := f.store.Events(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	return evs
}

func lastEvent(t testing.TB, evs []release.Event) release.Event {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	return evs[len(evs)-1]
}
