package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/testbin"
)

// binary is the shipwave executable built once for the package: the fleet
// runs it as the demo service and the load tests as loadgen.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	defer testbin.Clean()
	var err error
	if binary, err = testbin.Build("github.com/shipwave/shipwave/cmd/shipwave"); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	return m.Run()
}

// startStack starts a local stack in-process with the specs under testdata.
func startStack(t *testing.T, specs ...string) *local.Stack {
	t.Helper()
	return startStackWith(t, local.Config{}, specs...)
}

// startStackWith starts a local stack with cfg's time and traffic settings.
func startStackWith(t *testing.T, cfg local.Config, specs ...string) *local.Stack {
	t.Helper()
	var files []string
	for _, s := range specs {
		files = append(files, filepath.Join("testdata", s))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st, err := local.Start(ctx, local.Config{
		Specs: files, Binary: binary, DynaliteBin: dynaliteBin(t), APIAddr: "127.0.0.1:0",
		Out: testWriter{t}, VirtualTime: cfg.VirtualTime, TimeScale: cfg.TimeScale, TrafficRPS: cfg.TrafficRPS,
	})
	if err != nil {
		t.Fatalf("start local stack: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Logf("close stack: %v", err)
		}
	})
	return st
}

// dynaliteBin is the dynalite executable (make test sets SHIPWAVE_DYNALITE).
func dynaliteBin(tb testing.TB) string {
	tb.Helper()
	return dynalitetest.Bin(tb)
}

// testWriter sends the stack's progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// push starts a release and follows it to its end.
func push(t *testing.T, api local.API, pipeline string, req local.PushRequest) local.ReleaseView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := api.Push(ctx, pipeline, req)
	if err != nil {
		t.Fatalf("push %s: %v", req.Version, err)
	}
	v, err := local.Follow(ctx, api, res.ReleaseID, testWriter{t}, nil)
	if err != nil {
		t.Fatalf("follow %s: %v", res.ReleaseID, err)
	}
	return v
}

func eventsOf(v local.ReleaseView, typ release.EventType) []release.Event {
	var out []release.Event
	for _, e := range v.Events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// checkInvariants asserts DESIGN.md §6 on a release that ended: it is
// terminal; every service of its pipeline serves 100% on good; a release that did not
// succeed but moved traffic says it rolled back; no traffic moved before a
// pre-traffic hook passed; every lock it took is released.
func checkInvariants(t *testing.T, st *local.Stack, v local.ReleaseView, good string) {
	t.Helper()
	ctx := context.Background()
	if !v.Release.Status.Terminal() {
		t.Errorf("release %s is %s, want a terminal status", v.Release.ID, v.Release.Status)
	}
	status, err := st.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range status.Services {
		if s.Pipeline != v.Release.Pipeline {
			continue // another pipeline's service, another release's business
		}
		if r := s.Route.Settled(); r.Stable != good || r.Weight != 0 {
			t.Errorf("%s serves %s, want 100%% on %s", s.Name, s.Route, good)
		}
	}
	shifted := len(eventsOf(v, release.EventTrafficShifted)) > 0
	if v.Release.Status != release.StatusSucceeded && shifted && len(eventsOf(v, release.EventRolledBack)) == 0 {
		t.Errorf("release %s is %s after moving traffic, but its log has no %s", v.Release.ID, v.Release.Status, release.EventRolledBack)
	}
	hookPassed := map[string]bool{}
	for _, e := range v.Events {
		switch {
		case e.Type == release.EventHookPassed && strings.HasPrefix(e.Message, "preTraffic"):
			hookPassed[e.Target] = true
		case e.Type == release.EventTrafficShifted && st.HasPreTrafficHook(v.Release.Pipeline) && !hookPassed[e.Target]:
			t.Errorf("traffic moved on %s before its pre-traffic hook passed", e.Target)
		}
	}
	for _, e := range eventsOf(v, release.EventLockAcquired) {
		l, err := st.Store().GetLock(ctx, e.Target)
		if err == nil && l.Owner == v.Release.ID && l.Live(time.Now()) {
			t.Errorf("lock on %s still held by %s", e.Target, v.Release.ID)
		}
	}
}

func TestDemoScenario(t *testing.T) {
	st := startStack(t, "shop.yaml")
	good := push(t, st, "shop", local.PushRequest{Version: "v2"})
	if good.Release.Status != release.StatusSucceeded {
		t.Fatalf("v2 = %s (%s), want SUCCEEDED", good.Release.Status, good.Release.Reason)
	}
	if n := len(eventsOf(good, release.EventLoadTestPassed)); n != 1 {
		t.Errorf("v2 passed %d load tests, want 1", n)
	}
	checkInvariants(t, st, good, "v2")

	bad := push(t, st, "shop", local.PushRequest{Version: "v3", Fault: "error-rate=0.5", FaultStage: "prod"})
	if bad.Release.Status != release.StatusRolledBack {
		t.Fatalf("v3 = %s (%s), want ROLLED_BACK", bad.Release.Status, bad.Release.Reason)
	}
	alarmsSeen := eventsOf(bad, release.EventAlarm)
	if len(alarmsSeen) == 0 || !strings.Contains(bad.Release.Reason, "shop-5xx") {
		t.Fatalf("v3 was not stopped by the shop-5xx alarm: %s", bad.Release.Reason)
	}
	if alarmsSeen[0].Wave != "one-box" {
		t.Errorf("alarm caught v3 in wave %q, want one-box", alarmsSeen[0].Wave)
	}
	for _, e := range eventsOf(bad, release.EventTrafficShifted) {
		if e.Wave == "rest" {
			t.Errorf("v3 reached wave rest: %s", e.Message)
		}
	}
	restored := eventsOf(bad, release.EventRolledBack)
	if len(restored) == 0 {
		t.Fatal("v3 has no RolledBack event")
	}
	// How fast the restore follows the alarm is a goal, measured by
	// BenchmarkAlarmToRestored; the test asserts the order only.
	latency := restored[0].Time.Sub(alarmsSeen[0].Time)
	t.Logf("alarm to 100%% restored on %s: %s", restored[0].Target, latency)
	if latency < 0 {
		t.Errorf("RolledBack (%s) precedes the alarm (%s)", restored[0].Time, alarmsSeen[0].Time)
	}
	checkInvariants(t, st, bad, "v2")
}

func TestCrashOnStartRollsBackWithoutShifting(t *testing.T) {
	st := startStack(t, "shop.yaml")
	v := push(t, st, "shop", local.PushRequest{Version: "v2", Fault: "crash-on-start"})
	if v.Release.Status == release.StatusSucceeded {
		t.Fatalf("a version that crashes on start succeeded")
	}
	if n := len(eventsOf(v, release.EventTrafficShifted)); n != 0 {
		t.Errorf("%d shifts happened for a version that never started", n)
	}
	checkInvariants(t, st, v, "v1")
}

func TestHangingHookTimesOutAndRollsBack(t *testing.T) {
	st := startStack(t, "hang.yaml")
	v := push(t, st, "hang", local.PushRequest{Version: "v2"})
	if v.Release.Status != release.StatusRolledBack {
		t.Fatalf("release = %s (%s), want ROLLED_BACK", v.Release.Status, v.Release.Reason)
	}
	if failed := eventsOf(v, release.EventHookFailed); len(failed) == 0 || !strings.Contains(failed[0].Message, "no answer within 2s") {
		t.Errorf("hook failures = %+v, want one naming the 2s timeout", failed)
	}
	checkInvariants(t, st, v, "v1")
}

func TestLatencyRegressionTripsP99Alarm(t *testing.T) {
	st := startStack(t, "latency.yaml")
	v := push(t, st, "slow", local.PushRequest{Version: "v2", Fault: "latency=600ms"})
	if v.Release.Status != release.StatusRolledBack || !strings.Contains(v.Release.Reason, "slow-p99") {
		t.Fatalf("release = %s (%s), want ROLLED_BACK by slow-p99", v.Release.Status, v.Release.Reason)
	}
	checkInvariants(t, st, v, "v1")
}

// TestVirtualTimePromotes: on the virtual clock the same release promotes
// with its bakes and canary intervals taking no wall time (the load test
// still runs for real).
func TestVirtualTimePromotes(t *testing.T) {
	st := startStackWith(t, local.Config{VirtualTime: true}, "shop.yaml")
	began := time.Now()
	v := push(t, st, "shop", local.PushRequest{Version: "v2"})
	wall := time.Since(began)
	if v.Release.Status != release.StatusSucceeded {
		t.Fatalf("v2 = %s (%s), want SUCCEEDED", v.Release.Status, v.Release.Reason)
	}
	span := v.Events[len(v.Events)-1].Time.Sub(v.Events[0].Time)
	if span < 9*time.Second || wall >= span {
		t.Errorf("release took %s of engine time in %s of wall time; want ≥ 9s of engine time (5s canary, bakes) in less wall time", span, wall)
	}
	checkInvariants(t, st, v, "v2")
}
