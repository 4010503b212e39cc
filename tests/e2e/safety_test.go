package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

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
	for {
		v, err := c.Release(ctx, res.ReleaseID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range eventsOf(v, release.EventBakeStarted) {
			if ev.Wave == "second" {
				return res.ReleaseID
			}
		}
		if v.Release.Status.Terminal() {
			t.Fatalf("release ended %s before its second wave baked: %s", v.Release.Status, v.Release.Reason)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the second wave never baked: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
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
	var restartErr error
	for range 3 {
		if _, restartErr = launchUp(t, api, "--data-dir", dataDir); restartErr == nil {
			break
		}
		time.Sleep(time.Second) // the killed run's dynalite may hold the data dir for a moment
	}
	if restartErr != nil {
		t.Fatalf("local up did not restart on the same data dir: %v", restartErr)
	}
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
