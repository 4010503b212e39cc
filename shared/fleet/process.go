package fleet

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/fleet/demo"
	"github.com/shipwave/shipwave/shared/release"
)

// LaunchError means an instance did not come up: it exited, never announced
// its address or failed its health check. It matches release.ErrInvalid:
// retrying the same artifact will not help.
type LaunchError struct {
	Service  string
	Artifact string
	Instance string
	// Cause says what went wrong (exit status, timeout, health check).
	Cause string
	// Stderr is the tail of the process's standard error.
	Stderr string
}

func (e *LaunchError) Error() string {
	msg := fmt.Sprintf("launch %s of %s (instance %s): %s", e.Artifact, e.Service, e.Instance, e.Cause)
	if e.Stderr != "" {
		msg += "; stderr: " + strings.TrimSpace(e.Stderr)
	}
	return msg
}

// Unwrap makes LaunchError match release.ErrInvalid.
func (e *LaunchError) Unwrap() error { return release.ErrInvalid }

// Process describes one running instance.
type Process struct {
	Service  string `json:"service"`
	Version  string `json:"version"`
	Instance string `json:"instance"`
	PID      int    `json:"pid"`
	Addr     string `json:"addr"`
}

// instance is one demo-service process.
type instance struct {
	id       string
	cmd      *exec.Cmd
	url      *url.URL
	stderr   *tail
	done     chan struct{} // closed once the process is reaped
	exitErr  error         // set before done is closed
	stopping atomic.Bool
}

// tail keeps the last bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// start launches one instance of a and waits until it answers its health
// check, or fails with a *LaunchError after stopping it.
func (f *Fleet) start(ctx context.Context, service string, a Artifact, id string) (*instance, error) {
	args := append([]string{"demo-service", "--instance", id}, a.Args()...)
	if f.cfg.BaseLatency > 0 {
		args = append(args, "--base-latency", f.cfg.BaseLatency.String())
	}
	cmd := exec.Command(f.cfg.Binary, args...)
	setProcAttrs(cmd)
	in := &instance{id: id, cmd: cmd, stderr: &tail{max: 2048}, done: make(chan struct{})}
	cmd.Stderr = in.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("launch %s of %s: stdout pipe: %w", a, service, err)
	}
	fail := func(cause string) error {
		return &LaunchError{Service: service, Artifact: a.String(), Instance: id, Cause: cause, Stderr: in.stderr.String()}
	}
	if err := cmd.Start(); err != nil {
		return nil, fail(fmt.Sprintf("start %s: %v", f.cfg.Binary, err))
	}
	announced := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), demo.Announce); ok {
				announced <- addr
				break
			}
		}
		close(announced)
		_, _ = io.Copy(io.Discard, stdout)
		in.exitErr = cmd.Wait()
		close(in.done)
		if !in.stopping.Load() {
			f.cfg.Logger.Warn("instance exited", "service", service, "artifact", a.String(), "instance", id, "err", in.exitErr, "stderr", in.stderr.String())
		}
	}()

	timer := time.NewTimer(f.cfg.StartTimeout)
	defer timer.Stop()
	var cause string
	select {
	case addr, ok := <-announced:
		if ok {
			in.url = &url.URL{Scheme: "http", Host: addr}
			if err := f.healthy(ctx, in, timer.C); err == nil {
				return in, nil
			} else {
				cause = err.Error()
			}
			break
		}
		select {
		case <-in.done:
			cause = exitCause(in.exitErr)
		case <-timer.C:
			cause = "closed its output without announcing an address"
		}
	case <-timer.C:
		cause = fmt.Sprintf("no address announced within %v", f.cfg.StartTimeout)
	case <-ctx.Done():
		cause = "cancelled: " + ctx.Err().Error()
	}
	f.stop(in)
	return nil, fail(cause)
}

func exitCause(err error) string {
	if err == nil {
		return "exited with status 0 before serving"
	}
	return "exited before serving: " + err.Error()
}

// healthy polls GET /healthz until 200, the process exits, or expired fires.
func (f *Fleet) healthy(ctx context.Context, in *instance, expired <-chan time.Time) error {
	u := in.url.JoinPath("/healthz").String()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		resp, err := f.health.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-in.done:
			return fmt.Errorf("%s", exitCause(in.exitErr))
		case <-expired:
			return fmt.Errorf("health check %s failed until timeout: %v", u, err)
		case <-ctx.Done():
			return fmt.Errorf("health check cancelled: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop terminates in's process group, gracefully first, and reaps it.
func (f *Fleet) stop(in *instance) {
	in.stopping.Store(true)
	select {
	case <-in.done:
		return
	default:
	}
	terminate(in.cmd)
	t := time.NewTimer(f.cfg.StopTimeout)
	defer t.Stop()
	select {
	case <-in.done:
		return
	case <-t.C:
	}
	kill(in.cmd)
	<-in.done
}
