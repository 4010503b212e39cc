package demo_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/fleet/demo"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    demo.Config
		wantErr string
	}{
		{name: "minimal", args: []string{"--version", "v1"}, want: demo.Config{Version: "v1", Host: "127.0.0.1", LatencyFactor: 1}},
		{name: "slowdown", args: []string{"--version", "v1", "--base-latency", "50ms", "--latency-factor", "1.4"}, want: demo.Config{Version: "v1", Host: "127.0.0.1", BaseLatency: 50 * time.Millisecond, LatencyFactor: 1.4}},
		{name: "factor below 1", args: []string{"--version", "v1", "--latency-factor", "0.5"}, wantErr: "--latency-factor 0.5"},
		{name: "negative base latency", args: []string{"--version", "v1", "--base-latency", "-1ms"}, wantErr: "--base-latency -1ms"},
		{name: "every fault", args: []string{"--version", "v2", "--port", "8080", "--instance", "i-1", "--error-rate", "0.2", "--latency", "300ms", "--crash-after", "5s"},
			want: demo.Config{Version: "v2", Host: "127.0.0.1", Port: 8080, Instance: "i-1", ErrorRate: 0.2, Latency: 300 * time.Millisecond, CrashAfter: 5 * time.Second, LatencyFactor: 1}},
		{name: "crash on start", args: []string{"--version", "v3", "--crash-on-start"}, want: demo.Config{Version: "v3", Host: "127.0.0.1", CrashOnStart: true, LatencyFactor: 1}},
		{name: "no version", args: []string{}, wantErr: "--version is required"},
		{name: "bad rate", args: []string{"--version", "v1", "--error-rate", "1.5"}, wantErr: "--error-rate 1.5"},
		{name: "negative latency", args: []string{"--version", "v1", "--latency", "-1s"}, wantErr: "--latency -1s"},
		{name: "bad port", args: []string{"--version", "v1", "--port", "70000"}, wantErr: "--port 70000"},
		{name: "not loopback", args: []string{"--version", "v1", "--host", "0.0.0.0"}, wantErr: "not a loopback"},
		{name: "stray argument", args: []string{"--version", "v1", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "unknown flag", args: []string{"--version", "v1", "--cpu", "9"}, wantErr: "cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := demo.ParseArgs(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseArgs(%q) = %v, want error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	// rnd cycles through 0.0, 0.1, ..., 0.9, so an error rate of 0.3 fails
	// exactly 3 of every 10 requests.
	var mu sync.Mutex
	i := 0
	rnd := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		v := float64(i%10) / 10
		i++
		return v
	}
	srv := httptest.NewServer(demo.Handler(demo.Config{Version: "v7", Instance: "i-1", ErrorRate: 0.3, Latency: 20 * time.Millisecond}, rnd))
	t.Cleanup(srv.Close)
	codes := map[int]int{}
	for range 20 {
		start := time.Now()
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if d := time.Since(start); d < 20*time.Millisecond {
			t.Errorf("request took %v, want at least the 20ms latency", d)
		}
		codes[resp.StatusCode]++
		if resp.StatusCode == 200 {
			var r demo.Reply
			if err := json.Unmarshal(body, &r); err != nil || r != (demo.Reply{Version: "v7", Instance: "i-1"}) {
				t.Errorf("body %q (%v), want version v7 instance i-1", body, err)
			}
		}
	}
	if codes[200] != 14 || codes[500] != 6 {
		t.Errorf("status counts %v, want 14×200 and 6×500", codes)
	}
	for _, tc := range []struct {
		path string
		want int
	}{{"/healthz", 200}, {"/nope", 404}} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.want)
		}
	}
}

// start runs the service in the background and returns its base URL.
func start(t *testing.T, ctx context.Context, c demo.Config) (string, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := demo.Run(ctx, c, pw, io.Discard)
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no announcement: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), demo.Announce)
	if !ok {
		t.Fatalf("announcement %q lacks %q", line, demo.Announce)
	}
	return "http://" + addr, done
}

func TestRunDrainsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, done := start(t, ctx, demo.Config{Version: "v1", Host: "127.0.0.1", Latency: 200 * time.Millisecond})
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get(url + "/")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	// The request is in flight: the service shows nothing while it holds
	// one (a written request may not be accepted yet), so this is a
	// margin inside its 200ms latency, not a condition.
	time.Sleep(50 * time.Millisecond)
	cancel()
	if code := <-got; code != 200 {
		t.Errorf("in-flight request during shutdown: %d, want 200", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

func TestRunCrashes(t *testing.T) {
	var stderr strings.Builder
	err := demo.Run(context.Background(), demo.Config{Version: "v1", Host: "127.0.0.1", CrashOnStart: true}, io.Discard, &stderr)
	var crash *demo.CrashError
	if !errors.As(err, &crash) || crash.Code != 1 || !strings.Contains(stderr.String(), "crashing on start") {
		t.Errorf("crash on start: Run = %v, stderr %q; want CrashError code 1", err, stderr.String())
	}
	_, done := start(t, context.Background(), demo.Config{Version: "v1", Host: "127.0.0.1", CrashAfter: 30 * time.Millisecond})
	select {
	case err := <-done:
		if !errors.As(err, &crash) || crash.Code != 2 {
			t.Errorf("crash after: Run = %v, want CrashError code 2", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not crash within 5s")
	}
}

func TestHandlerScalesBaseLatency(t *testing.T) {
	half := func() float64 { return 0.5 } // Box–Muller gives z = -1.1774
	base := demo.Config{Version: "v1", BaseLatency: 20 * time.Millisecond}
	slow := base
	slow.LatencyFactor = 2
	for _, tc := range []struct {
		name string
		cfg  demo.Config
		want time.Duration // 20ms * exp(0.25*z) * factor
	}{{"base", base, 14900 * time.Microsecond}, {"twice as slow", slow, 29800 * time.Microsecond}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(demo.Handler(tc.cfg, half))
			t.Cleanup(srv.Close)
			start := time.Now()
			resp, err := http.Get(srv.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if d := time.Since(start); d < tc.want {
				t.Errorf("request took %v, want at least %v", d, tc.want)
			}
		})
	}
}
