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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
)

// upProcess is `shipwave local up` running as a real process.
type upProcess struct {
	cmd *exec.Cmd
	out *syncBuffer
	// exited is closed once cmd.Wait returned (with waitErr): only the
	// waiting goroutine touches cmd's process state.
	exited  chan struct{}
	waitErr error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
	p := &upProcess{out: &syncBuffer{}, exited: make(chan struct{})}
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
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("local up exited early (%v):\n%s", p.waitErr, p.out.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.Status(ctx)
		cancel()
		if err == nil {
			return p, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, fmt.Errorf("local up did not answer within 90s:\n%s", p.out.String())
}

// kill sends SIGKILL to the process alone, as a crash would, and waits for
// it to be gone.
func (p *upProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		t.Fatal("local up still running 5s after SIGKILL")
	}
}

func TestCrashMidCanaryReconcilesOnRestart(t *testing.T) {
	dataDir := t.TempDir()
	api := freeAddr(t)
	up := startUp(t, api, "--data-dir", dataDir, "--spec", filepath.Join("testdata", "longcanary.yaml"))
	c := client(api)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := c.Push(ctx, "long", local.PushRequest{Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the canary bakes at 10%.
	for {
		v, err := c.Release(ctx, res.ReleaseID)
		if err != nil {
			t.Fatal(err)
		}
		if len(eventsOf(v, release.EventBakeStarted)) > 0 {
			break
		}
		if v.Release.Status.Terminal() {
			t.Fatalf("release ended %s before its canary baked: %s", v.Release.Status, v.Release.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Services[0].Route; r.Weight != 10 || r.Candidate != "v2" {
		t.Fatalf("before the crash long-a serves %s, want 10%% on v2", r)
	}
	children := childPIDs(up.cmd.Process.Pid)
	if runtime.GOOS == "linux" && len(children) == 0 {
		t.Fatalf("local up (pid %d) has no child processes before the crash", up.cmd.Process.Pid)
	}
	up.kill(t)
	// Its dynalite and demo-service processes die with it.
	for _, pid := range children {
		gone := false
		for range 100 {
			if !alive(pid) {
				gone = true
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !gone {
			t.Errorf("process %d of the killed local up is still running", pid)
		}
	}

	// The restart must reconcile before it serves: the first answer already
	// shows the release failed and traffic back on v1.
	var restartErr error
	for attempt := 0; attempt < 3; attempt++ {
		// The killed run's dynalite may hold the data dir for a moment.
		if _, restartErr = launchUp(t, api, "--data-dir", dataDir); restartErr == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if restartErr != nil {
		t.Fatalf("local up did not restart on the same data dir: %v", restartErr)
	}
	v, err := c.Release(ctx, res.ReleaseID)
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
	dataDir := t.TempDir()
	api := freeAddr(t)
	up := startUp(t, api, "--data-dir", dataDir, "--spec", filepath.Join("testdata", "longcanary.yaml"))
	c := client(api)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := c.Push(ctx, "long", local.PushRequest{Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	waitEventVia(t, c, first.ReleaseID, release.EventBakeStarted)
	up.kill(t)
	var restartErr error
	for attempt := 0; attempt < 3; attempt++ {
		if _, restartErr = launchUp(t, api, "--data-dir", dataDir, "--time-scale", "30"); restartErr == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if restartErr != nil {
		t.Fatal(restartErr)
	}
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
	for range 600 {
		v, err := c.Release(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(eventsOf(v, typ)) > 0 {
			return
		}
		if v.Release.Status.Terminal() {
			t.Fatalf("release ended %s before %s: %s", v.Release.Status, typ, v.Release.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s event in 60s", typ)
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
