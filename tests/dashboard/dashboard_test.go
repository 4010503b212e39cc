package dashboard_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/local/localtest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const shopSpec = `apiVersion: shipwave/v1
pipeline: shop
source: { repository: shop, branch: main }
executionMode: QUEUED
alarms: [shop-5xx]
hooks:
  postTraffic: { http: "http://127.0.0.1:8081/hooks/verify", timeout: 5s }
stages:
  - name: staging
    targets: [{ type: local, service: shop-staging, instances: 1 }]
    deployment: AllAtOnce
    bake: 1s
  - name: prod
    approval: { approvers: [tester], timeout: 10m }
    waves:
      - name: one-box
        targets: [{ type: local, service: shop-onebox, instances: 1 }]
        deployment: AllAtOnce
        bake: 10m
      - name: rest
        targets:
          - { type: local, service: shop-a, instances: 1 }
          - { type: local, service: shop-b, instances: 1 }
        deployment: AllAtOnce
        bake: 1s
`

// waitFor polls cond until it holds, failing the test after 60s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventually.True(t, 60*time.Second, what, cond)
}

func hasEvent(t *testing.T, st *local.Stack, id string, typ release.EventType) bool {
	t.Helper()
	v, err := st.Release(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range v.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}

func status(t *testing.T, st *local.Stack, id string) release.Status {
	t.Helper()
	v, err := st.Release(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v.Release.Status
}

func push(t *testing.T, st *local.Stack, req local.PushRequest) string {
	t.Helper()
	res, err := st.Push(context.Background(), "shop", req)
	if err != nil {
		t.Fatal(err)
	}
	return res.ReleaseID
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SHIPWAVE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".build", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDashboard(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found on PATH (apt-get install -y chromium; `make test` installs it): %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(file, []byte(shopSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	fleet := localtest.NewFleet()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	st, err := local.Start(ctx, local.Config{
		Specs: []string{file}, Binary: os.Args[0], DynaliteBin: dynalitetest.Bin(t), APIAddr: "127.0.0.1:0",
		Fleet: func(context.Context, local.FleetSetup) (local.Fleet, local.AlarmEngine, error) {
			return fleet, localtest.OKAlarms{}, nil
		},
	})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	// A: promoted everywhere (approved, its long one-box bake promoted).
	a := push(t, st, local.PushRequest{Version: "v2", Actor: "tester"})
	waitFor(t, "A's approval", func() bool { return hasEvent(t, st, a, release.EventApprovalWaiting) })
	if err := st.Decide(context.Background(), a, true, local.DecisionRequest{Actor: "tester"}); err != nil {
		t.Fatal(err)
	}
	api := local.NewClient(st.APIAddr())
	api.Token = st.Token()
	waitFor(t, "A's one-box bake promoted", func() bool {
		_, err := api.Promote(context.Background(), a, local.RollbackRequest{Reason: "test"})
		return err == nil
	})
	waitFor(t, "A to succeed", func() bool { return status(t, st, a) == release.StatusSucceeded })
	// B: its verify hook fails in staging: rolled back.
	b := push(t, st, local.PushRequest{Version: "v3", Fault: "error-rate=1", Actor: "tester"})
	waitFor(t, "B to end", func() bool { return status(t, st, b).Terminal() })
	if got := status(t, st, b); got != release.StatusRolledBack {
		t.Fatalf("B is %s, want ROLLED_BACK", got)
	}
	// C: in flight, waiting at prod's approval.
	c := push(t, st, local.PushRequest{Version: "v4", Actor: "tester"})
	waitFor(t, "C's approval", func() bool { return hasEvent(t, st, c, release.EventApprovalWaiting) })

	shots := screenshotDir(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 3*time.Minute)
	defer tcancel()
	if err := chromedp.Run(bctx); err != nil { // starts the browser, on bctx
		t.Fatalf("start %s: %v", browser, err)
	}
	chromedp.ListenTarget(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			for _, a := range ev.Args {
				t.Logf("console.%s: %s", ev.Type, a.Value)
			}
		case *runtime.EventExceptionThrown:
			t.Logf("page exception: %s", ev.ExceptionDetails.Error())
		}
	})

	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	// run runs actions on the page, for at most 30s.
	run := func(actions ...chromedp.Action) error {
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		err := chromedp.Run(ctx, actions...)
		if err != nil {
			var body string
			ctx, cancel := context.WithTimeout(bctx, 5*time.Second)
			defer cancel()
			derr := chromedp.Run(ctx, chromedp.Evaluate(`location.href + "\n" + document.body.innerText`, &body))
			t.Logf("the page when an action failed (%v):\n%s", derr, body)
		}
		return err
	}
	// goTo follows a link inside the page (a fragment: no page load).
	goTo := func(hash string) chromedp.Action {
		var ignored any
		return chromedp.Evaluate("location.hash = "+strconv.Quote(hash), &ignored)
	}
	text := func(sel string) string {
		var s string
		var err error
		for range 5 {
			// The page redraws itself on every poll: a node found by
			// WaitVisible may be replaced before Text reads it.
			if err = run(chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Text(sel, &s, chromedp.ByQuery)); err == nil || !strings.Contains(err.Error(), "No node with given id") {
				break
			}
		}
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// waitText waits until sel's text contains want (the page polls).
	waitText := func(sel, want string) string {
		t.Helper()
		var got string
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(30 * time.Second)
		for {
			if got = text(sel); strings.Contains(got, want) {
				return got
			}
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatalf("%s says %q, want it to contain %q", sel, got, want)
			}
		}
	}

	// Overview: the token comes from the fragment.
	t.Logf("dashboard at %s/#token=%s", st.URL(), st.Token())
	nctx, ncancel := context.WithTimeout(bctx, 30*time.Second)
	err = chromedp.Run(nctx, chromedp.Navigate(st.URL()+"/#token="+st.Token()+"&actor=tester"), chromedp.WaitVisible(`#pipelines tr[data-pipeline="shop"]`, chromedp.ByQuery))
	ncancel()
	if err != nil {
		t.Fatalf("overview: %v", err)
	}
	row := waitText(`#pipelines tr[data-pipeline="shop"]`, c)
	if !strings.Contains(row, "IN_PROGRESS") {
		t.Errorf("overview row = %q, want C in flight", row)
	}
	if who := text("#who"); !strings.Contains(who, "local · tester") {
		t.Errorf("#who = %q, want the local caller", who)
	}
	if err := run(shot("overview")); err != nil {
		t.Fatal(err)
	}

	// Pipeline: stages → waves → targets with live versions; DORA.
	if err := run(goTo("#/p/shop"), chromedp.WaitVisible(`[data-target="local:shop-a"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sel, want string }{
		{`[data-stage="staging"] [data-target="local:shop-staging"]`, "v4"}, // C promoted staging
		{`[data-stage="prod"] [data-target="local:shop-a"]`, "stable v2"},
		{`[data-stage="prod"] [data-target="local:shop-a"]`, "shop-5xx: OK"},
		{`[data-stage="prod"] h3`, "approval: tester"},
		{"#dora-frequency", "1 succeeded"},
		{"#dora-cfr", "50%"},
		{"#dora-cfr", "1 failed of 2"},
	} {
		waitText(tc.sel, tc.want)
	}
	if err := run(shot("pipeline")); err != nil {
		t.Fatal(err)
	}

	// Matrix.
	if err := run(goTo("#/matrix"), chromedp.WaitVisible(`#matrix tr[data-target="local:shop-b"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitText(`#matrix tr[data-target="local:shop-b"]`, "v2")
	waitText(`#matrix tr[data-target="local:shop-staging"]`, "v4")
	if err := run(shot("matrix")); err != nil {
		t.Fatal(err)
	}

	// The rolled-back release: its timeline says why; nothing to roll back.
	if err := run(goTo("#/r/"+b), chromedp.WaitVisible("#timeline", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitText("#timeline", "HookFailed")
	waitText("h1", "ROLLED_BACK")
	var rollbackDisabled, retryDisabled bool
	if err := chromedp.Run(bctx,
		chromedp.Evaluate(`document.getElementById("rollback").disabled`, &rollbackDisabled),
		chromedp.Evaluate(`document.getElementById("retry").disabled`, &retryDisabled), shot("release-rolled-back")); err != nil {
		t.Fatal(err)
	}
	if !rollbackDisabled || retryDisabled {
		t.Errorf("rolled-back release: rollback disabled=%v (want true), retry disabled=%v (want false)", rollbackDisabled, retryDisabled)
	}

	// The release in flight: approve it from the page, then promote its bake.
	if err := run(goTo("#/r/"+c), chromedp.WaitVisible("#gate", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitText("#gate", "shipwave release approve "+c)
	if err := run(shot("release-approval"), chromedp.Click("#approve", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitText("#timeline", "Approved")
	waitText("#baking", "local:shop-onebox")
	waitText(`#progress [data-target="local:shop-onebox"]`, "baking")
	waitText(`#progress [data-target="local:shop-onebox"]`, "left")
	waitText(`#progress [data-target="local:shop-staging"]`, "100% · promoted")
	// The weight bars are drawn to scale (the CSP refuses style attributes;
	// the page sets widths through the CSSOM).
	var widths []float64
	if err := run(chromedp.Evaluate(`['local:shop-a', 'local:shop-staging'].map(t => document.querySelector('#progress [data-target="' + t + '"] .bar > span').getBoundingClientRect().width)`, &widths)); err != nil {
		t.Fatal(err)
	}
	if len(widths) < 2 || widths[0] != 0 || widths[1] <= 0 {
		t.Errorf("weight bars of shop-a (0%%) and shop-staging (100%%) are %v px wide", widths)
	}
	if err := run(chromedp.WaitEnabled("#promote", chromedp.ByQuery), shot("release-baking"), chromedp.Click("#promote", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitText("#timeline", "promoted by tester")
	waitText("h1", "SUCCEEDED")
	if err := run(shot("release-succeeded")); err != nil {
		t.Fatal(err)
	}
	if got := status(t, st, c); got != release.StatusSucceeded {
		t.Errorf("C is %s after approve and promote in the page, want SUCCEEDED", got)
	}
}
