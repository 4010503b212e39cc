package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
)

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAPIErrors(t *testing.T) {
	h := startStack(t, strings.Replace(oneStage, "%s", "verify", 1), "")
	c := h.stack.Client()
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"push without version", func() error { _, err := c.Push(ctx, "shop", local.PushRequest{}); return err }, release.ErrInvalid},
		{"push version with plus", func() error { _, err := c.Push(ctx, "shop", local.PushRequest{Version: "v2+x"}); return err }, release.ErrInvalid},
		{"push unknown fault", func() error {
			_, err := c.Push(ctx, "shop", local.PushRequest{Version: "v2", Fault: "melt=1"})
			return err
		}, release.ErrInvalid},
		{"push fault to unknown stage", func() error {
			_, err := c.Push(ctx, "shop", local.PushRequest{Version: "v2", Fault: "error-rate=0.1", FaultStage: "nope"})
			return err
		}, release.ErrInvalid},
		{"push unknown pipeline", func() error { _, err := c.Push(ctx, "nope", local.PushRequest{Version: "v2"}); return err }, release.ErrNotFound},
		{"show unknown release", func() error { _, err := c.Release(ctx, "01UNKNOWN"); return err }, release.ErrNotFound},
		{"approve without approval", func() error {
			return c.Decide(ctx, "01UNKNOWN", true, local.DecisionRequest{Actor: "me"})
		}, release.ErrNotFound},
		{"approve without actor label", func() error { return c.Decide(ctx, "01UNKNOWN", true, local.DecisionRequest{}) }, release.ErrNotFound},
		{"rollback unknown release", func() error { _, err := c.Rollback(ctx, "01UNKNOWN", local.RollbackRequest{}); return err }, release.ErrNotFound},
		{"event not JSON", func() error { _, err := c.SendEvent(ctx, []byte("nope")); return err }, release.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want an error of kind %v", err, tc.want)
			}
		})
	}
	if rs, err := c.Releases(ctx, ""); err != nil || len(rs) != 0 {
		t.Errorf("after bad requests: releases = %v, %v; want none stored", rs, err)
	}
}

func TestAPIPushShowRollbackAndEvents(t *testing.T) {
	h := startStack(t, strings.Replace(oneStage, "%s", "verify", 1), "")
	c := h.stack.Client()
	ctx := context.Background()
	res, err := c.Push(ctx, "shop", local.PushRequest{Version: "v2", Key: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Push(ctx, "shop", local.PushRequest{Version: "v2", Key: "k1"})
	if err != nil || again.ReleaseID != res.ReleaseID || again.Created {
		t.Errorf("second push with the same key = %+v, %v; want release %s, not created", again, err, res.ReleaseID)
	}
	v := waitRelease(t, h.stack, res.ReleaseID)
	got, err := c.Release(ctx, res.ReleaseID)
	if err != nil || got.Release.Status != v.Release.Status || len(got.Events) != len(v.Events) {
		t.Errorf("GET release = %s with %d events, %v; want %s with %d", got.Release.Status, len(got.Events), err, v.Release.Status, len(v.Events))
	}
	if _, err := c.Rollback(ctx, res.ReleaseID, local.RollbackRequest{}); !errors.Is(err, release.ErrConflict) {
		t.Errorf("rollback of an ended release: %v, want a conflict", err)
	}
	rs, err := c.Releases(ctx, "shop")
	if err != nil || len(rs) != 1 {
		t.Errorf("releases = %v, %v; want 1", rs, err)
	}
	st, err := c.Status(ctx)
	if err != nil || len(st.Services) != 1 || st.Services[0].Route.Stable != "v2" || st.Alarms["shop-5xx"] != "OK" {
		t.Errorf("status = %+v, %v; want shop-a on v2 and shop-5xx OK", st, err)
	}

	tests := []struct {
		name      string
		event     string
		wantRules string
	}{
		{"git push", "webhook-github-push.json", "git-push"},
		{"alarm", "alarm-state-change-alarm.json", "alarm-state-change"},
		{"alarm back to OK matches no rule", "alarm-state-change-ok.json", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := c.SendEvent(ctx, readEvent(t, tc.event))
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, d := range ds {
				rules = append(rules, d.Rule)
			}
			if got := strings.Join(rules, ","); got != tc.wantRules {
				t.Errorf("rules = %q, want %q (deliveries %+v)", got, tc.wantRules, ds)
			}
		})
	}
}

func TestManualRollbackRestoresTraffic(t *testing.T) {
	slow := strings.Replace(strings.Replace(oneStage, "%s", "verify", 1), "interval: 1s", "interval: 60s", 1)
	h := startStack(t, slow, "")
	ctx := context.Background()
	res, err := h.stack.Push(ctx, "shop", local.PushRequest{Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, h.stack, res.ReleaseID, release.EventBakeStarted)
	r, err := h.stack.Rollback(ctx, res.ReleaseID, "tester", "test")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != release.StatusRolledBack {
		t.Errorf("status = %s (%s), want ROLLED_BACK", r.Status, r.Reason)
	}
	v, err := h.stack.Release(ctx, res.ReleaseID)
	if err != nil {
		t.Fatal(err)
	}
	var requested, ends int
	for _, ev := range v.Events {
		if ev.Type == release.EventRollbackRequest && strings.Contains(ev.Message, "tester") {
			requested++
		}
		if ev.Type.Ends() {
			ends++
		}
	}
	if requested != 1 || ends != 1 {
		t.Errorf("want one RollbackRequested naming the actor and one end event; events: %+v", v.Events)
	}
	if got, _ := h.fleet.Route(ctx, "shop-a"); got.Stable != "v1" || got.Weight != 0 {
		t.Errorf("route = %+v, want 100%% on v1", got)
	}
}

func waitEvent(t *testing.T, st *local.Stack, id string, typ release.EventType) {
	t.Helper()
	eventually.True(t, 20*time.Second, fmt.Sprintf("a %s event of release %s", typ, id), func() bool {
		v, err := st.Release(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range v.Events {
			if e.Type == typ {
				return true
			}
		}
		if v.Release.Status.Terminal() {
			t.Fatalf("release ended %s before %s", v.Release.Status, typ)
		}
		return false
	})
}

// ordersSpec releases the repository of events/webhook-github-push.json.
const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: acme/orders-api, branch: main }
triggers: [{ push: {} }]
stages:
  - name: prod
    targets: [{ type: local, service: orders-a, instances: 1 }]
    deployment: AllAtOnce
    bake: 1s
`

// TestSameTriggerTwiceCreatesOneRelease: EventBridge delivers at least
// once; the same push through the bus again creates no second release
// (DESIGN §6.2).
func TestSameTriggerTwiceCreatesOneRelease(t *testing.T) {
	h := startStack(t, ordersSpec, "")
	c := h.stack.Client()
	ctx := context.Background()
	ev := readEvent(t, "webhook-github-push.json")
	for i := range 3 {
		ds, err := c.SendEvent(ctx, ev)
		if err != nil || len(ds) != 1 || ds[0].Target != "trigger" {
			t.Fatalf("delivery %d = %+v, %v; want one to trigger", i+1, ds, err)
		}
	}
	rs, err := c.Releases(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("releases = %d, want 1", len(rs))
	}
	v := waitRelease(t, h.stack, rs[0].ID)
	if v.Release.Status != release.StatusSucceeded || v.Release.Version != "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5" {
		t.Errorf("release = %s of %s, want SUCCEEDED of the pushed commit", v.Release.Status, v.Release.Version)
	}
	if got, _ := h.fleet.Route(ctx, "orders-a"); got.Stable != v.Release.Version {
		t.Errorf("route = %+v, want 100%% on the commit", got)
	}
}

// TestPushRefusesBadFaultsAndIgnoresWhatAlreadyRuns: a push with a fault
// that does not parse is refused before anything is stored, and pushing
// the version every target already serves creates nothing, saying so.
func TestPushRefusesBadFaultsAndIgnoresWhatAlreadyRuns(t *testing.T) {
	h := startStack(t, strings.Replace(oneStage, "%s", "verify", 1), "")
	ctx := context.Background()
	count := func() int {
		rs, err := h.stack.Releases(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	for _, fault := range []string{"error-rate=abc", "error-rate=2", "latency=forever", "crash-on-start=maybe"} {
		if _, err := h.stack.Push(ctx, "shop", local.PushRequest{Version: "v2", Fault: fault}); !errors.Is(err, release.ErrInvalid) {
			t.Errorf("push with fault %q = %v, want ErrInvalid", fault, err)
		}
	}
	if n := count(); n != 0 {
		t.Errorf("refused pushes stored %d releases", n)
	}
	res, err := h.stack.Push(ctx, "shop", local.PushRequest{Version: local.InitialVersion})
	if err != nil || !res.NoOp || !strings.Contains(res.Reason, "already serves") || res.ReleaseID != "" {
		t.Errorf("push of the running version = %+v, %v; want a no-op saying so", res, err)
	}
	if n := count(); n != 0 {
		t.Errorf("a no-op push stored %d releases", n)
	}
}
