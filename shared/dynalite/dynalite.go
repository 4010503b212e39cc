package dynalite

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a dynalite process.
type Options struct {
	// Bin is the dynalite executable, usually node_modules/.bin/dynalite.
	// It is required.
	Bin string
	// DataDir, when set, makes dynalite persist tables in a LevelDB store in
	// that directory; empty means in memory, gone on Close.
	DataDir string
	// StartTimeout bounds how long Start waits for the server to answer;
	// zero means 15 seconds.
	StartTimeout time.Duration
}

// Server is a running dynalite process listening on a loopback port.
type Server struct {
	cmd      *exec.Cmd
	endpoint string
	done     chan struct{} // closed when the process has exited
	waitErr  error         // set before done is closed
	output   *tailBuffer

	closeOnce sync.Once
	closeErr  error
}

// startAttempts is how many ports Start tries: another process may take the
// free port between choosing it and dynalite binding it.
const startAttempts = 5

// Start launches dynalite on a free loopback port and returns once it answers
// HTTP requests. Tables are created, deleted and updated without delay
// (--createTableMs 0 and friends). The process outlives ctx, which only
// bounds the start-up; call Close to stop it.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Bin == "" {
		return nil, errors.New("dynalite: Options.Bin is empty: point it at node_modules/.bin/dynalite (run `make deps` to install it)")
	}
	if _, err := os.Stat(opts.Bin); err != nil {
		return nil, fmt.Errorf("dynalite: binary %s: %w (run `make deps` to install the npm dev tools)", opts.Bin, err)
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("dynalite: data directory: %w", err)
		}
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var lastErr error
	for range startAttempts {
		s, err := start(ctx, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errAddrInUse) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

var errAddrInUse = errors.New("address in use")

func start(ctx context.Context, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("dynalite: find a free loopback port: %w", err)
	}
	args := []string{
		"--host", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--createTableMs", "0",
		"--deleteTableMs", "0",
		"--updateTableMs", "0",
	}
	if opts.DataDir != "" {
		args = append(args, "--path", opts.DataDir)
	}
	out := &tailBuffer{max: 8 << 10}
	guard, err := writeGuard()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", append([]string{"--require", guard, opts.Bin}, args...)...)
	cmd.Stdout = out
	cmd.Stderr = out
	setProcAttrs(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynalite: start %s: %w", opts.Bin, err)
	}
	s := &Server{
		cmd:      cmd,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		done:     make(chan struct{}),
		output:   out,
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// listening is the line dynalite prints once it has bound its port. Until
// then an answer on the port may come from another process that took the
// free port first (this dynalite then exits with EADDRINUSE).
const listening = "Dynalite listening at"

// waitReady polls the endpoint until this process says it listens and
// any HTTP response comes back, the process exits, or ctx ends.
func (s *Server) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint, nil)
		if err != nil {
			return fmt.Errorf("dynalite: probe request: %w", err)
		}
		if strings.Contains(s.output.String(), listening) {
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				return nil
			}
		}
		select {
		case <-s.done:
			out := s.output.String()
			if strings.Contains(out, "EADDRINUSE") {
				return fmt.Errorf("dynalite: %s: %w", s.endpoint, errAddrInUse)
			}
			return fmt.Errorf("dynalite: process exited before answering on %s (%v); output:\n%s", s.endpoint, s.waitErr, out)
		case <-ctx.Done():
			return fmt.Errorf("dynalite: not answering on %s: %w; output:\n%s", s.endpoint, ctx.Err(), s.output.String())
		case <-tick.C:
		}
	}
}

// PID is the dynalite process's id (and its process group's).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Done is closed when the process has exited, whether by Close or on its
// own; the local stack watches it to notice a crash.
func (s *Server) Done() <-chan struct{} { return s.done }

// Endpoint is the server's base URL, such as http://127.0.0.1:43125, for an
// SDK client's BaseEndpoint.
func (s *Server) Endpoint() string { return s.endpoint }

// Close stops the process and its process group, waits for it to exit and
// reports why it exited if it had already died on its own. It is safe to
// call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		select {
		case <-s.done:
			s.closeErr = fmt.Errorf("dynalite: exited unexpectedly (%v); output:\n%s", s.waitErr, s.output.String())
			return
		default:
		}
		terminate(s.cmd)
		select {
		case <-s.done:
		case <-time.After(3 * time.Second):
			kill(s.cmd)
			<-s.done
		}
	})
	return s.closeErr
}

// guardJS keeps dynalite serving when a client aborts a request; see
// guard.js.
//
//go:embed guard.js
var guardJS []byte

// writeGuard writes guard.js where node can preload it, once per content.
func writeGuard() (string, error) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("shipwave-dynalite-guard-%x.js", sha256.Sum256(guardJS)))
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, guardJS) {
		return path, nil
	}
	tmp, err := os.CreateTemp(os.TempDir(), "shipwave-dynalite-guard-*.js")
	if err != nil {
		return "", fmt.Errorf("dynalite: write guard: %w", err)
	}
	if _, err := tmp.Write(guardJS); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("dynalite: write guard: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("dynalite: write guard: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("dynalite: write guard: %w", err)
	}
	return path, nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
