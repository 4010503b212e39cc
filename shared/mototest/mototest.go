package mototest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Bin is the moto_server executable looked up on PATH.
const Bin = "moto_server"

// Region is the region the clients Config returns talk to.
const Region = "us-east-1"

// Account is moto's default account id, the one its ARNs carry.
const Account = "123456789012"

// startTimeout bounds moto_server's start-up (Python imports on a busy
// two-core machine take a few seconds).
const startTimeout = 60 * time.Second

// shared is the per-test-binary server; Main (or Around) owns its lifetime.
var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	srv     *Server
	err     error
}

var nameSeq atomic.Int64

// Server is a running moto_server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	tail *tail
}

// Main runs the tests, stops the shared moto_server and exits with the
// tests' status; call it from TestMain.
func Main(m *testing.M) { os.Exit(Around(m.Run)) }

// Around runs run (m.Run, or another helper's runner such as
// dynalitetest.Run bound to m) with the shared moto_server available, stops
// the server afterwards and returns run's exit code.
func Around(run func() int) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()

	code := run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.inMain = false
	if shared.srv != nil {
		shared.srv.close()
		shared.srv = nil
	}
	return code
}

// Shared returns the test binary's moto_server, starting it on first use. It
// fails the test if the package has no TestMain calling Main or Around, or
// if moto_server cannot start (it is not on PATH, or never answers).
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		t.Fatal("mototest: add `func TestMain(m *testing.M) { mototest.Main(m) }` to this package's tests so the shared moto_server is stopped when they end")
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = start()
	}
	if shared.err != nil {
		t.Fatalf("mototest: %v (moto_server comes with `pip install 'moto[server]'`; the project's machines have it on PATH)", shared.err)
	}
	select {
	case <-shared.srv.done:
		t.Fatalf("mototest: moto_server exited during the run; its last output:\n%s", shared.srv.tail)
	default:
	}
	return shared.srv
}

// Config returns an aws.Config for the shared moto_server: static dummy
// credentials, region us-east-1, every service at its URL, and the SDK's
// standard retryer with 3 attempts and short backoff.
func Config(t testing.TB) aws.Config {
	t.Helper()
	return ConfigFor(Shared(t).URL)
}

// ConfigFor is Config for a server at url.
func ConfigFor(url string) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSHIPWAVEMOTO", "shipwave-moto-secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 3,
	}
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// Name returns a resource name unique within the test binary, built from
// the test's name and at most max characters long (at least 8).
func Name(t testing.TB, max int) string {
	t.Helper()
	suffix := "-" + strconv.FormatInt(nameSeq.Add(1), 10)
	base := strings.Trim(unsafeName.ReplaceAllString(t.Name(), "-"), "-")
	if keep := max - len(suffix); len(base) > keep {
		base = base[len(base)-keep:]
	}
	return strings.TrimLeft(base, "-_") + suffix
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start launches moto_server on a free loopback port and returns once it
// has said it runs and answers HTTP.
func start() (*Server, error) {
	path, err := exec.LookPath(Bin)
	if err != nil {
		return nil, fmt.Errorf("%s not found on PATH: %w", Bin, err)
	}
	var lastErr error
	for range 3 { // another process may take the port before moto binds it
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("pick a port: %w", err)
		}
		s, err := launch(path, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

var runningLine = regexp.MustCompile(`Running on http://127\.0\.0\.1:(\d+)`)

func launch(path string, port int) (*Server, error) {
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{}), tail: &tail{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			s.tail.add(line)
			if m := runningLine.FindStringSubmatch(line); !signalled && m != nil && m[1] == strconv.Itoa(port) {
				signalled = true
				close(ready)
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-ready:
	case <-s.done:
		return nil, fmt.Errorf("moto_server on port %d exited at start; its output:\n%s", port, s.tail)
	case <-timer.C:
		s.close()
		return nil, fmt.Errorf("moto_server on port %d did not start within %v; its output:\n%s", port, startTimeout, s.tail)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/data.json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("moto_server on port %d does not answer: %w", port, err)
	}
	resp.Body.Close()
	return s, nil
}

func (s *Server) close() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// tail keeps the last lines of moto_server's output for error messages.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 40 {
		t.lines = t.lines[len(t.lines)-40:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// Gap records that moto lacks what a contract case needs: the case is
// skipped with the reason, so the suite says in code what it cannot check
// against moto. Use it only for a documented gap, never for a failure.
func Gap(t testing.TB, reason string) {
	t.Helper()
	t.Skip("moto gap: " + reason)
}
