package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
)

// waitSecondWaveCanary pushes v2 to testdata/twowaves.yaml's pipeline and
// waits until its second wave bakes its canary: the first wave already
// serves v2.
func waitSecondWaveCanary(ctx context.Context, t *testing.T, c *local.Client) string {
	t.Helper()
	res, err := c.Push(ctx, "waves", local.PushRequest{Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	eventually.True(t, 2*time.Minute, "the second wave of release "+res.ReleaseID+" to bake", func() bool {
		v, err := c.Release(ctx, res.ReleaseID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range eventsOf(v, release.EventBakeStarted) {
			if ev.Wave == "second" {
				return true
			}
		}
		if v.Release.Status.Terminal() {
			t.Fatalf("release ended %s before its second wave baked: %s", v.Release.Status, v.Release.Reason)
		}
		return false
	})
	return res.ReleaseID
}

// wantAllOn checks every service serves 100% on version.
func wantAllOn(ctx context.Context, t *testing.T, c *local.Client, version string) {
	t.Helper()
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Services {
		if r := s.Route.Settled(); r.Stable != version || r.Weight != 0 {
			t.Errorf("%s serves %s, want 100%% on %s", s.Name, r, version)
		}
	}
}

// TestManualRollbackRestoresEveryWave: a person rolls back a release whose
// second wave is baking; with onFailure rollbackAllWaves the first wave,
// already promoted, goes back too, and the log says who asked.
func TestManualRollbackRestoresEveryWave(t *testing.T) {
	api := freeAddr(t)
	startUp(t, api, "--spec", filepath.Join("testdata", "twowaves.yaml"))
	c := client(api)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := waitSecondWaveCanary(ctx, t, c)
	r, err := c.Rollback(ctx, id, local.RollbackRequest{Actor: "alice", Reason: "customers report errors"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != release.StatusRolledBack {
		t.Errorf("release = %s (%s), want ROLLED_BACK", r.Status, r.Reason)
	}
	wantAllOn(ctx, t, c, "v1")
	v, err := c.Release(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(eventsOf(v, release.EventRollbackRequest)) != 1 || len(eventsOf(v, release.EventRolledBack)) != 2 {
		t.Errorf("want one RollbackRequested and two RolledBack, got %s", typesOf(v.Events))
	}
}

// TestKillMidSecondWaveRestoresEveryWave: the stack is killed (SIGKILL)
// while the second wave bakes; on restart, reconcile works from the
// release's ledger, so the first wave's promotion goes back too.
func TestKillMidSecondWaveRestoresEveryWave(t *testing.T) {
	dataDir := t.TempDir()
	api := freeAddr(t)
	up := startUp(t, api, "--data-dir", dataDir, "--spec", filepath.Join("testdata", "twowaves.yaml"))
	c := client(api)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id := waitSecondWaveCanary(ctx, t, c)
	up.kill(t)
	startUp(t, api, "--data-dir", dataDir)
	v, err := c.Release(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Release.Status != release.StatusRolledBack {
		t.Errorf("after restart release = %s (%s), want ROLLED_BACK", v.Release.Status, v.Release.Reason)
	}
	if n := len(eventsOf(v, release.EventRolledBack)); n != 2 {
		t.Errorf("%d RolledBack events, want one per wave: %s", n, typesOf(v.Events))
	}
	wantAllOn(ctx, t, c, "v1")
}

// TestConcurrentReleasesWhereTheFirstCrashes: two releases of a PARALLEL
// pipeline want one target. The first's version crashes during its
// canary and is rolled back; the second waited for the target, so it
// prepares from the proven v1 — never from the first's candidate. It then
// either deploys v3, or is refused by the alarm pre-flight (the first's
// alarm may still be in ALARM) having moved nothing; either way all
// traffic ends on a known-good version.
func TestConcurrentReleasesWhereTheFirstCrashes(t *testing.T) {
	api := freeAddr(t)
	startUp(t, api, "--spec", filepath.Join("testdata", "parallel.yaml"))
	c := client(api)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := c.Push(ctx, "par", local.PushRequest{Version: "v2", Fault: "crash-after=2s"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Push(ctx, "par", local.PushRequest{Version: "v3"})
	if err != nil {
		t.Fatal(err)
	}
	a := waitEnded(ctx, t, c, first.ReleaseID)
	b := waitEnded(ctx, t, c, second.ReleaseID)
	if a.Release.Status != release.StatusRolledBack {
		t.Errorf("first release = %s (%s), want ROLLED_BACK", a.Release.Status, a.Release.Reason)
	}
	// The second never touched the target while the first owned it.
	if len(eventsOf(b, release.EventLockAcquired)) > 0 && eventsOf(b, release.EventLockAcquired)[0].Time.Before(eventsOf(a, a.Release.Status.EndEvent())[0].Time) {
		t.Errorf("the second release locked the target before the first ended")
	}
	for _, ev := range eventsOf(b, release.EventTargetPrepared) {
		if !strings.Contains(ev.Message, "known-good version v1") {
			t.Errorf("second release prepared %s: %q, want known-good v1 (v2 was never proven)", ev.Target, ev.Message)
		}
	}
	switch b.Release.Status {
	case release.StatusSucceeded:
		wantAllOn(ctx, t, c, "v3")
	case release.StatusFailed: // refused, nothing moved
		if !strings.Contains(b.Release.Reason, "refusing to deploy blind") {
			t.Errorf("second release FAILED for another reason: %s", b.Release.Reason)
		}
		wantAllOn(ctx, t, c, "v1")
	default:
		t.Errorf("second release = %s (%s), want SUCCEEDED, or FAILED refused by the pre-flight", b.Release.Status, b.Release.Reason)
	}
}

// waitEnded polls a release until it has ended.
func waitEnded(ctx context.Context, t *testing.T, c *local.Client, id string) local.ReleaseView {
	t.Helper()
	for {
		v, err := c.Release(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// The status turns terminal a moment before the end event is
		// appended: wait for both.
		if n := len(v.Events); v.Release.Status.Terminal() && n > 0 && v.Events[n-1].Type.Ends() {
			return v
		}
		select {
		case <-ctx.Done():
			t.Fatalf("release %s did not end: %v (%s)", id, ctx.Err(), typesOf(v.Events))
		case <-time.After(100 * time.Millisecond):
		}
	}
}
