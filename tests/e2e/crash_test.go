package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/syncbuf"
)

// upProcess is `shipwave local up` running as a real process.
type upProcess struct {
	cmd *exec.Cmd
	api string // the address its API listens on
	out *syncbuf.Buffer
	// exited is closed once cmd.Wait returned (with waitErr): only the
	// waiting goroutine touches cmd's process state.
	exited  chan struct{}
	waitErr error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// e2eToken is the API token every `local up` of these tests uses
// (SHIPWAVE_TOKEN), so a restarted stack keeps the clients' token.
const e2eToken = "e2e-token-0123456789abcdef"

// client is an API client carrying the tests' token.
func client(api string) *local.Client {
	c := local.NewClient(api)
	c.Token = e2eToken
	return c
}

// startUp runs `shipwave local up` and waits until its API answers.
func startUp(t *testing.T, api string, args ...string) *upProcess {
	t.Helper()
	p, err := launchUp(t, api, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// launchUp runs `shipwave local up`, stopped at the end of the test, and
// waits until its API answers; an early exit is an error.
func launchUp(t *testing.T, api string, args ...string) (*upProcess, error) {
	t.Helper()
	p := &upProcess{api: api, out: &syncbuf.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"local", "up", "--api", api}, args...)...)
	p.cmd.Env = append(os.Environ(), "SHIPWAVE_DYNALITE="+dynalitetest.Bin(t), "SHIPWAVE_TOKEN="+e2eToken, "SHIPWAVE_STATE_DIR="+t.TempDir())
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	})
	c := client(api)
	err := eventually.Within(90*time.Second, "local up to answer", func() error {
		select {
		case <-p.exited:
			return nil // reported below
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := c.Status(ctx)
		return err
	})
	select {
	case <-p.exited:
		return nil, fmt.Errorf("local up exited early (%v):\n%s", p.waitErr, p.out.String())
	default:
	}
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, p.out.String())
	}
	return p, nil
}

// kill sends SIGKILL to the process alone, as a crash would, and waits for
// it to be gone, and with it what a restart needs free: its child
// processes (dynalite, whose lock on the data dir dies with it, and the
// demo services) and its API address.
func (p *upProcess) kill(t *testing.T) {
	t.Helper()
	children := childPIDs(p.cmd.Process.Pid)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		t.Fatal("local up still running 5s after SIGKILL")
	}
	for _, pid := range children {
		eventually.True(t, 10*time.Second, fmt.Sprintf("process %d of the killed local up to exit with it", pid), func() bool { return !alive(pid) })
	}
	eventually.NoError(t, 10*time.Second, "the killed local up's API address "+p.api+" to be free", func() error {
		ln, err := net.Listen("tcp", p.api)
		if err == nil {
			ln.Close()
		}
		return err
	})
}

// bakingCanary is `local up` on a data dir of its own, serving
// testdata/longcanary.yaml, whose release of v2 (id) bakes its canary.
type bakingCanary struct {
	up           *upProcess
	api, dataDir string
	c            *local.Client
	id           string
}

// startBakingCanary starts `local up`, pushes v2 and waits until its
// canary bakes at 10%.
func startBakingCanary(ctx context.Context, t *testing.T) bakingCanary {
	t.Helper()
	b := bakingCanary{dataDir: t.TempDir(), api: freeAddr(t)}
	b.up = startUp(t, b.api, "--data-dir", b.dataDir, "--spec", filepath.Join("testdata", "longcanary.yaml"))
	b.c = client(b.api)
	res, err := b.c.Push(ctx, "long", local.PushRequest{Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	b.id = res.ReleaseID
	waitEventVia(t, b.c, b.id, release.EventBakeStarted)
	return b
}

func TestCrashMidCanaryReconcilesOnRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := startBakingCanary(ctx, t)
	up, api, dataDir, c := b.up, b.api, b.dataDir, b.c
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Services[0].Route; r.Weight != 10 || r.Candidate != "v2" {
		t.Fatalf("before the crash long-a serves %s, want 10%% on v2", r)
	}
	if runtime.GOOS == "linux" && len(childPIDs(up.cmd.Process.Pid)) == 0 {
		t.Fatalf("local up (pid %d) has no child processes before the crash", up.cmd.Process.Pid)
	}
	up.kill(t) // and its dynalite and demo-service processes die with it

	// The restart must reconcile before it serves: the first answer already
	// shows the release failed and traffic back on v1.
	startUp(t, api, "--data-dir", dataDir)
	v, err := c.Release(ctx, b.id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Release.Status != release.StatusRolledBack || !strings.Contains(v.Release.Reason, "stopped while the release was running") {
		t.Errorf("after restart release = %s (%s), want ROLLED_BACK naming the stop", v.Release.Status, v.Release.Reason)
	}
	if len(eventsOf(v, release.EventReleaseRolledBack)) != 1 || len(eventsOf(v, release.EventRolledBack)) != 1 {
		t.Errorf("events after restart: want one ReleaseRolledBack and one RolledBack, got %s", typesOf(v.Events))
	}
	st, err = c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Services[0].Route.Settled(); r.Stable != "v1" || r.Weight != 0 {
		t.Errorf("after restart long-a serves %s, want 100%% on v1", r)
	}
}

// TestRestartFreesTheLockForTheNextRelease: after a crash mid-canary, the
// restarted stack (here 30× faster, so the minute-long canary takes two
// seconds) releases the next version on the same target: the crashed
// release's lock did not outlive the reconcile (DESIGN §6.3).
func TestRestartFreesTheLockForTheNextRelease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := startBakingCanary(ctx, t)
	c := b.c
	b.up.kill(t)
	startUp(t, b.api, "--data-dir", b.dataDir, "--time-scale", "30")
	next, err := c.Push(ctx, "long", local.PushRequest{Version: "v3"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := local.Follow(ctx, c, next.ReleaseID, testWriter{t}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Release.Status != release.StatusSucceeded {
		t.Fatalf("release after the restart = %s (%s), want SUCCEEDED", v.Release.Status, v.Release.Reason)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Services[0].Route.Settled(); r.Stable != "v3" || r.Weight != 0 {
		t.Errorf("long-a serves %s, want 100%% on v3", r)
	}
}

func waitEventVia(t *testing.T, c *local.Client, id string, typ release.EventType) {
	t.Helper()
	eventually.True(t, 60*time.Second, fmt.Sprintf("a %s event of release %s", typ, id), func() bool {
		v, err := c.Release(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Release.Status.Terminal() && len(eventsOf(v, typ)) == 0 {
			t.Fatalf("release ended %s before %s: %s", v.Release.Status, typ, v.Release.Reason)
		}
		return len(eventsOf(v, typ)) > 0
	})
}

// childPIDs lists the direct children of pid (Linux /proc; none elsewhere).
func childPIDs(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// alive reports whether pid runs (a zombie counts as gone).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func typesOf(evs []release.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, string(e.Type))
	}
	return strings.Join(s, " ")
}
