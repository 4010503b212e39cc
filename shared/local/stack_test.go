package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/local/localtest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

const oneStage = `apiVersion: shipwave/v1
pipeline: shop
source: { repository: shop, branch: main }
executionMode: QUEUED
alarms: [shop-5xx]
hooks:
  preTraffic: { http: "http://127.0.0.1:8081/hooks/smoke", timeout: 5s }
  postTraffic: { http: "http://127.0.0.1:8081/hooks/%s", timeout: 2s }
stages:
  - name: prod
    targets: [{ type: local, service: shop-a, instances: 1 }]
    deployment: { type: linear, percent: 50, interval: 1s }
    bake: 1s
`

type harness struct {
	stack *local.Stack
	fleet *localtest.Fleet
}

func startStack(t *testing.T, spec string, dataDir string) *harness {
	t.Helper()
	return startStackWith(t, spec, local.Config{DataDir: dataDir})
}

// startStackWith starts a stack on spec with the in-process fleet; base
// gives the other settings.
func startStackWith(t *testing.T, spec string, base local.Config) *harness {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	h := &harness{fleet: localtest.NewFleet()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := base
	cfg.Specs, cfg.Binary, cfg.DynaliteBin, cfg.APIAddr = []string{file}, os.Args[0], dynalitetest.Bin(t), "127.0.0.1:0"
	cfg.Fleet = func(context.Context, local.FleetSetup) (local.Fleet, local.AlarmEngine, error) {
		return h.fleet, localtest.OKAlarms{}, nil
	}
	st, err := local.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.stack = st
	return h
}

func waitRelease(t *testing.T, st *local.Stack, id string) local.ReleaseView {
	t.Helper()
	var v local.ReleaseView
	eventually.NoError(t, 30*time.Second, "release "+id+" to end", func() error {
		var err error
		if v, err = st.Release(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		// The status turns terminal a moment before the end event is
		// appended: wait for both.
		if n := len(v.Events); v.Release.Status.Terminal() && n > 0 && v.Events[n-1].Type.Ends() {
			return nil
		}
		return fmt.Errorf("status %s; events: %s", v.Release.Status, eventTypes(v.Events))
	})
	return v
}

func eventTypes(evs []release.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, string(e.Type))
	}
	return strings.Join(s, " ")
}

func TestPushPromotesAndHookFailureRollsBack(t *testing.T) {
	tests := []struct {
		name       string
		postHook   string
		wantStatus release.Status
		wantRoute  traffic.Split
	}{
		{name: "verify passes", postHook: "verify", wantStatus: release.StatusSucceeded, wantRoute: traffic.Split{Stable: "v2"}},
		{name: "hook fails", postHook: "fail", wantStatus: release.StatusRolledBack, wantRoute: traffic.Split{Stable: "v1"}},
		{name: "hook hangs", postHook: "hang", wantStatus: release.StatusRolledBack, wantRoute: traffic.Split{Stable: "v1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := startStack(t, fmt.Sprintf(oneStage, tc.postHook), "")
			res, err := h.stack.Push(context.Background(), "shop", local.PushRequest{Version: "v2"})
			if err != nil {
				t.Fatal(err)
			}
			v := waitRelease(t, h.stack, res.ReleaseID)
			if v.Release.Status != tc.wantStatus {
				t.Errorf("status = %s (%s), want %s; events: %s", v.Release.Status, v.Release.Reason, tc.wantStatus, eventTypes(v.Events))
			}
			got, _ := h.fleet.Route(context.Background(), "shop-a")
			if got != tc.wantRoute {
				t.Errorf("route = %+v, want %+v", got, tc.wantRoute)
			}
		})
	}
}

func TestMain(m *testing.M) { dynalitetest.Main(m) }
