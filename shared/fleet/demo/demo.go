package demo

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Config is one demo-service process's behaviour.
type Config struct {
	Version  string
	Instance string
	// Host is the loopback address the service listens on.
	Host string
	// Port is the TCP port; 0 picks a free one (see Announce).
	Port      int
	ErrorRate float64
	Latency   time.Duration
	// BaseLatency is the healthy service's own latency: each GET / waits a
	// lognormal draw with this median (log-sd 0.25) before answering; 0 (the
	// default) means none.
	BaseLatency time.Duration
	// LatencyFactor scales BaseLatency (the latency=+P% fault); 0 or 1
	// leaves it alone.
	LatencyFactor float64
	CrashAfter    time.Duration
	CrashOnStart  bool
}

// Announce is the prefix of the line the service prints on stdout once it
// listens, followed by its address host:port.
const Announce = "demo-service listening on "

// ParseArgs reads demo-service command-line flags. It returns an error naming
// the bad flag; output for -h goes to usage.
func ParseArgs(args []string, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet("demo-service", flag.ContinueOnError)
	fs.SetOutput(usage)
	var c Config
	fs.StringVar(&c.Version, "version", "", "version to report (required)")
	fs.StringVar(&c.Instance, "instance", "", "instance id to report (default: the listening address)")
	fs.StringVar(&c.Host, "host", "127.0.0.1", "loopback address to listen on")
	fs.IntVar(&c.Port, "port", 0, "port to listen on; 0 picks a free port")
	fs.Float64Var(&c.ErrorRate, "error-rate", 0, "fraction (0-1) of GET / answered with 500")
	fs.DurationVar(&c.Latency, "latency", 0, "latency added to every GET /")
	fs.DurationVar(&c.BaseLatency, "base-latency", 0, "median of a lognormal per-request latency of the healthy service")
	fs.Float64Var(&c.LatencyFactor, "latency-factor", 1, "factor (1-11) scaling --base-latency")
	fs.DurationVar(&c.CrashAfter, "crash-after", 0, "exit with status 2 this long after start-up")
	fs.BoolVar(&c.CrashOnStart, "crash-on-start", false, "exit with status 1 before listening")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.Version == "":
		return Config{}, errors.New("--version is required")
	case c.Port < 0 || c.Port > 65535:
		return Config{}, fmt.Errorf("--port %d is outside 0-65535", c.Port)
	case c.ErrorRate < 0 || c.ErrorRate > 1 || c.ErrorRate != c.ErrorRate:
		return Config{}, fmt.Errorf("--error-rate %v is outside 0-1", c.ErrorRate)
	case c.Latency < 0:
		return Config{}, fmt.Errorf("--latency %v is negative", c.Latency)
	case c.BaseLatency < 0 || c.BaseLatency > time.Minute:
		return Config{}, fmt.Errorf("--base-latency %v is outside 0-1m", c.BaseLatency)
	case !(c.LatencyFactor >= 1 && c.LatencyFactor <= 11):
		return Config{}, fmt.Errorf("--latency-factor %v is outside 1-11", c.LatencyFactor)
	case c.CrashAfter < 0:
		return Config{}, fmt.Errorf("--crash-after %v is negative", c.CrashAfter)
	}
	if ip := net.ParseIP(c.Host); c.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Config{}, fmt.Errorf("--host %q is not a loopback address", c.Host)
	}
	return c, nil
}

// CrashError is returned by Run when the configured fault makes the service
// exit; Code is the exit status the process should use.
type CrashError struct {
	Code int
	Msg  string
}

func (e *CrashError) Error() string { return e.Msg }

// Reply is the JSON body of GET /.
type Reply struct {
	Version  string `json:"version"`
	Instance string `json:"instance"`
}

// Handler returns the service's HTTP handler. rnd decides which requests
// fail at c.ErrorRate; it must be safe for concurrent use.
func Handler(c Config, rnd func() float64) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if d := c.Latency + c.baseDelay(rnd); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if c.ErrorRate > 0 && rnd() < c.ErrorRate {
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "injected fault", "version": c.Version, "instance": c.Instance})
			return
		}
		_ = json.NewEncoder(w).Encode(Reply{Version: c.Version, Instance: c.Instance})
	})
	return mux
}

// baseDelay draws one request's base latency, scaled by LatencyFactor.
func (c Config) baseDelay(rnd func() float64) time.Duration {
	if c.BaseLatency <= 0 {
		return 0
	}
	u1, u2 := rnd(), rnd()
	z := math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2) // Box–Muller
	f := c.LatencyFactor
	if f < 1 {
		f = 1
	}
	return time.Duration(float64(c.BaseLatency) * math.Exp(0.25*z) * f)
}

// Run serves c until ctx ends (then it drains in-flight requests and returns
// nil) or a configured crash happens (then it returns a *CrashError). Once
// listening it prints Announce and the address on stdout.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	if c.CrashOnStart {
		fmt.Fprintf(stderr, "demo-service %s: crashing on start as configured (--crash-on-start)\n", c.Version)
		return &CrashError{Code: 1, Msg: "crash on start"}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	if err != nil {
		return fmt.Errorf("demo-service %s: listen: %w", c.Version, err)
	}
	if c.Instance == "" {
		c.Instance = ln.Addr().String()
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	rnd := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64()
	}
	srv := &http.Server{Handler: Handler(c, rnd), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "%s%s\n", Announce, ln.Addr())

	var crash <-chan time.Time
	if c.CrashAfter > 0 {
		t := time.NewTimer(c.CrashAfter)
		defer t.Stop()
		crash = t.C
	}
	select {
	case err := <-served:
		return fmt.Errorf("demo-service %s: serve: %w", c.Version, err)
	case <-crash:
		fmt.Fprintf(stderr, "demo-service %s: crashing after %v as configured (--crash-after)\n", c.Version, c.CrashAfter)
		_ = srv.Close()
		return &CrashError{Code: 2, Msg: "crash after " + c.CrashAfter.String()}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("demo-service %s: shutdown: %w", c.Version, err)
	}
	return nil
}
