package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/fleet/demo"
	"github.com/shipwave/shipwave/shared/fleet/fleettest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/localproxy"
	"github.com/shipwave/shipwave/shared/traffic/traffictest"
)

// metricsClock is a fleet's metrics clock in these tests: it stands still
// until boundary moves it, so a measurement counts exactly the requests
// sent after boundary.
type metricsClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *metricsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// boundary moves the clock to the start of the next metrics bucket and
// returns it.
func (c *metricsClock) boundary() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Truncate(fleet.Resolution).Add(fleet.Resolution)
	return c.now
}

// newFleet returns a fleet launching this test binary, closed at cleanup.
func newFleet(t testing.TB) *fleet.Fleet {
	t.Helper()
	return fleettest.New(t, fleet.Config{})
}

// newClockedFleet is newFleet whose metrics are stamped by the returned
// clock.
func newClockedFleet(t testing.TB) (*fleet.Fleet, *metricsClock) {
	t.Helper()
	clk := &metricsClock{now: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	return fleettest.New(t, fleet.Config{Now: clk.Now}), clk
}

func addService(t testing.TB, f *fleet.Fleet, name string, instances int, artifact string) *fleet.Service {
	t.Helper()
	s, err := f.AddService(context.Background(), name, instances, artifact)
	if err != nil {
		t.Fatalf("AddService(%s, %d, %s): %v", name, instances, artifact, err)
	}
	return s
}

// get sends one GET / through the proxy and returns the status and the
// version that served it, checking header and body agree.
func get(t testing.TB, client *http.Client, endpoint string) (int, string) {
	t.Helper()
	resp, err := client.Get(endpoint + "/")
	if err != nil {
		t.Fatalf("GET %s/: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	version := resp.Header.Get(fleet.VersionHeader)
	if resp.StatusCode == http.StatusOK {
		var r demo.Reply
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("decode %q: %v", body, err)
		}
		if a, err := fleet.ParseArtifact(version); err != nil || a.Version != r.Version {
			t.Fatalf("header version %q (%v) does not match body version %q", version, err, r.Version)
		}
		if r.Instance == "" {
			t.Errorf("reply %q has no instance", body)
		}
	}
	return resp.StatusCode, version
}

func TestContract(t *testing.T) {
	f := newFleet(t)
	n := 0
	traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
		n++
		name := "contract-" + string(rune('a'+n))
		addService(t, f, name, 1, "v1")
		return localproxy.New(f), release.Target{Type: release.TargetLocal, Name: "local:" + name, Service: name, Instances: 1}
	})
}

func TestRouteWeightsOverRealRequests(t *testing.T) {
	f, clk := newClockedFleet(t)
	s := addService(t, f, "orders", 2, "v1")
	client := &http.Client{Timeout: 5 * time.Second}
	if code, v := get(t, client, s.Endpoint()); code != 200 || v != "v1" {
		t.Fatalf("before launch: got %d from %q, want 200 from v1", code, v)
	}
	ctx := context.Background()
	v2, err := f.Launch(ctx, "orders", "v2+latency=1ms")
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	if again, err := f.Launch(ctx, "orders", "v2+latency=1ms"); err != nil || again != v2 {
		t.Fatalf("second Launch = %q, %v; want %q, nil", again, err, v2)
	}
	if got, _ := f.Route(ctx, "orders"); got != (traffic.Split{Stable: "v1"}) {
		t.Fatalf("Route after Launch = %+v, want all on v1", got)
	}
	tests := []struct {
		name   string
		weight int
	}{
		{name: "canary 10%", weight: 10},
		{name: "linear 33%", weight: 33},
		{name: "half", weight: 50},
		{name: "final", weight: 100},
		{name: "rollback", weight: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := traffic.Split{Stable: "v1", Candidate: v2, Weight: tt.weight}
			if err := f.SetRoute(ctx, "orders", sp); err != nil {
				t.Fatalf("SetRoute(%v): %v", sp, err)
			}
			from := clk.boundary()
			const total = 200
			got := map[string]int{}
			for range total {
				code, v := get(t, client, s.Endpoint())
				if code != 200 {
					t.Fatalf("status %d from %s, want 200", code, v)
				}
				got[v]++
			}
			want := total * tt.weight / 100
			// The splitter is deterministic: every 100 consecutive requests
			// carry exactly weight on the candidate.
			if got[v2] != want || got["v1"] != total-want {
				t.Errorf("served %v, want %d on %s and %d on v1", got, want, v2, total-want)
			}
			to := clk.Now().Add(fleet.Resolution)
			d, err := f.Metrics("orders", v2, from, to)
			if err != nil {
				t.Fatalf("Metrics: %v", err)
			}
			if d.Requests != int64(want) || d.Errors != 0 {
				t.Errorf("metrics of %s: %d requests, %d errors; want %d, 0", v2, d.Requests, d.Errors, want)
			}
			if want > 0 && d.Percentile(50) < time.Millisecond {
				t.Errorf("p50 of %s = %v, want at least its injected 1ms", v2, d.Percentile(50))
			}
			n, err := f.CandidateRequests(ctx, release.Target{Type: release.TargetLocal, Name: "local:orders", Service: "orders"}, v2, from)
			if err != nil || n != int64(want) {
				t.Errorf("CandidateRequests = %d, %v; want %d", n, err, want)
			}
		})
	}
}

func TestSetRouteRejects(t *testing.T) {
	f := newFleet(t)
	addService(t, f, "orders", 1, "v1")
	ctx := context.Background()
	tests := []struct {
		name    string
		service string
		split   traffic.Split
		want    error
	}{
		{name: "unknown service", service: "nope", split: traffic.Split{Stable: "v1"}, want: release.ErrNotFound},
		{name: "never launched", service: "orders", split: traffic.Split{Stable: "v1", Candidate: "v9", Weight: 10}, want: release.ErrInvalid},
		{name: "bad weight", service: "orders", split: traffic.Split{Stable: "v1", Candidate: "v1", Weight: 120}, want: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.SetRoute(ctx, tt.service, tt.split); !errors.Is(err, tt.want) {
				t.Errorf("SetRoute(%v) = %v, want %v", tt.split, err, tt.want)
			}
			if got, _ := f.Route(ctx, "orders"); got != (traffic.Split{Stable: "v1"}) {
				t.Errorf("route changed to %+v", got)
			}
		})
	}
}

func TestCrashOnStart(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	_, err := f.AddService(ctx, "broken", 2, "v1+crash-on-start")
	var le *fleet.LaunchError
	if !errors.As(err, &le) || !errors.Is(err, release.ErrInvalid) {
		t.Fatalf("AddService = %v, want a *LaunchError matching ErrInvalid", err)
	}
	if !strings.Contains(le.Stderr, "crashing on start") || !strings.Contains(le.Cause, "exit status 1") {
		t.Errorf("LaunchError cause %q, stderr %q; want exit status 1 and the process's stderr", le.Cause, le.Stderr)
	}
	if _, err := f.Service("broken"); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("Service(broken) after failed add = %v, want ErrNotFound", err)
	}

	s := addService(t, f, "orders", 1, "v1")
	if _, err := f.Launch(ctx, "orders", "v2+crash-on-start"); !errors.As(err, &le) {
		t.Fatalf("Launch = %v, want *LaunchError", err)
	}
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: "v2+crash-on-start", Weight: 10}); !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), "never launched") {
		t.Errorf("SetRoute to a version that crashed on start = %v, want ErrInvalid: never launched", err)
	}
	for _, p := range s.Processes() {
		if p.Version != "v1" {
			t.Errorf("process %+v of a crashed version is running", p)
		}
	}
	if got := s.Route(); got != (traffic.Split{Stable: "v1"}) {
		t.Errorf("route = %+v, want all on v1", got)
	}
}

func TestCrashAfterStartShowsAsErrors(t *testing.T) {
	f, clk := newClockedFleet(t)
	s := addService(t, f, "orders", 1, "v1")
	ctx := context.Background()
	v2, err := f.Launch(ctx, "orders", "v2+crash-after=50ms")
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: v2, Weight: 50}); err != nil {
		t.Fatalf("SetRoute: %v", err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	eventually.True(t, 10*time.Second, v2+" to crash (502 through the proxy)", func() bool {
		code, v := get(t, client, s.Endpoint())
		return v == v2 && code == http.StatusBadGateway
	})
	from := clk.boundary()
	for range 20 {
		get(t, client, s.Endpoint())
	}
	d, err := f.Metrics("orders", v2, from, clk.Now().Add(fleet.Resolution))
	if err != nil {
		t.Fatal(err)
	}
	if d.Requests != 10 || d.Errors != 10 {
		t.Errorf("crashed version: %d requests, %d errors; want 10 and 10 (502s)", d.Requests, d.Errors)
	}
}

func TestFaultyVersionErrorRate(t *testing.T) {
	f, clk := newClockedFleet(t)
	s := addService(t, f, "orders", 2, "v1")
	ctx := context.Background()
	v2, err := f.Launch(ctx, "orders", "v2+error-rate=0.5")
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: v2, Weight: 50}); err != nil {
		t.Fatalf("SetRoute: %v", err)
	}
	from := clk.boundary()
	client := &http.Client{Timeout: 5 * time.Second}
	for range 400 {
		get(t, client, s.Endpoint())
	}
	by, err := f.MetricsByVersion("orders", from, clk.Now().Add(fleet.Resolution))
	if err != nil {
		t.Fatal(err)
	}
	if got := by["v1"]; got.Requests != 200 || got.Errors != 0 {
		t.Errorf("v1: %d requests, %d errors; want 200, 0", got.Requests, got.Errors)
	}
	// 200 draws at p=0.5: 70–130 errors is beyond 4 standard deviations.
	if got := by[v2]; got.Requests != 200 || got.Errors < 70 || got.Errors > 130 {
		t.Errorf("%s: %d requests, %d errors; want 200 and about 100", v2, got.Requests, got.Errors)
	}
}

func TestOldVersionsStopAndRestart(t *testing.T) {
	f := newFleet(t)
	s := addService(t, f, "orders", 1, "v1")
	ctx := context.Background()
	pidsOf := func(version string) []int {
		var out []int
		for _, p := range s.Processes() {
			if p.Version == version {
				out = append(out, p.PID)
			}
		}
		return out
	}
	v1pids := pidsOf("v1")
	for _, step := range []func() error{
		func() error { _, err := f.Launch(ctx, "orders", "v2"); return err },
		func() error {
			return f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: "v2", Weight: 100})
		},
		func() error { _, err := f.Launch(ctx, "orders", "v3"); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	versions := map[string]bool{}
	for _, p := range s.Processes() {
		versions[p.Version] = true
	}
	if len(versions) != 2 || !versions["v2"] || !versions["v3"] {
		t.Errorf("running versions %v, want v2 (stable) and v3 (new)", versions)
	}
	waitGone(t, v1pids)
	// v1 was launched before, so routing to it starts it again.
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1"}); err != nil {
		t.Fatalf("SetRoute back to v1: %v", err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	if code, v := get(t, client, s.Endpoint()); code != 200 || v != "v1" {
		t.Errorf("after re-routing: %d from %s, want 200 from v1", code, v)
	}
}

// waitGone fails unless every pid's process group is gone within 5s.
func waitGone(t testing.TB, pids []int) {
	t.Helper()
	for _, pid := range pids {
		eventually.True(t, 5*time.Second, fmt.Sprintf("process group %d to be gone", pid), func() bool { return syscall.Kill(-pid, 0) == syscall.ESRCH })
	}
}

func TestCloseLeavesNoProcesses(t *testing.T) {
	f := fleet.New(fleet.Config{Binary: binary(t)})
	ctx := context.Background()
	var pids []int
	slow := map[string]map[string]bool{} // v2 instance address → its connections before traffic
	for _, name := range []string{"a", "b"} {
		s := addService(t, f, name, 2, "v1")
		if _, err := s.Launch(ctx, "v2+latency=2s"); err != nil {
			t.Fatal(err)
		}
		for _, p := range s.Processes() {
			if p.Version != "v1" {
				slow[p.Addr] = serverConns(t, p.Addr)
			}
		}
		if err := s.StartTraffic(50); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRoute(ctx, traffic.Split{Stable: "v1", Candidate: "v2+latency=2s", Weight: 50}); err != nil {
			t.Fatal(err)
		}
		for _, p := range s.Processes() {
			pids = append(pids, p.PID)
		}
	}
	if len(pids) != 8 {
		t.Fatalf("%d processes, want 8", len(pids))
	}
	// Requests in flight on every slow instance: the proxy opened a
	// connection to each since the traffic started.
	for addr, before := range slow {
		eventually.True(t, 10*time.Second, "a request in flight on the slow instance at "+addr, func() bool { return newConns(before, serverConns(t, addr)) > 0 })
	}
	start := time.Now()
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("process %d after Close: kill(0) = %v, want ESRCH", pid, err)
		}
		if err := syscall.Kill(-pid, 0); err != syscall.ESRCH {
			t.Errorf("process group %d after Close: kill(0) = %v, want ESRCH", pid, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if _, err := f.AddService(ctx, "late", 1, "v1"); err == nil {
		t.Errorf("AddService after Close succeeded")
	}
}

func TestTrafficGenerator(t *testing.T) {
	f, clk := newClockedFleet(t)
	s := addService(t, f, "orders", 1, "v1")
	from := clk.boundary()
	if err := s.StartTraffic(100); err != nil {
		t.Fatal(err)
	}
	// The generator's rate is per wall-clock second: the second it runs is
	// what is measured (as the window below in which nothing may arrive),
	// not a wait for something.
	time.Sleep(time.Second)
	s.StopTraffic()
	// Requests the generator abandoned still complete at the proxy, which
	// records each before it closes the request's connection: once the
	// proxy holds no connection open, every one is counted.
	eventually.NoError(t, 5*time.Second, "the proxy to finish the generator's requests", func() error {
		if open := serverConns(t, s.Endpoint()[len("http://"):]); len(open) > 0 {
			return fmt.Errorf("%d connections open", len(open))
		}
		return nil
	})
	d := s.Metrics("", from, clk.Now().Add(fleet.Resolution))
	// The machine may be loaded; a broken generator sends none or floods.
	if d.Requests < 30 || d.Requests > 110 {
		t.Errorf("1s at 100 rps recorded %d requests, want about 100", d.Requests)
	}
	time.Sleep(300 * time.Millisecond) // the window in which nothing may arrive
	if after := s.Metrics("", from, clk.Now().Add(fleet.Resolution)); after.Requests != d.Requests {
		t.Errorf("requests kept coming after StopTraffic: %d, then %d", d.Requests, after.Requests)
	}
	if err := s.StartTraffic(0); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("StartTraffic(0) = %v, want ErrInvalid", err)
	}
}

func TestAddServiceRejects(t *testing.T) {
	f := newFleet(t)
	addService(t, f, "orders", 1, "v1")
	tests := []struct {
		name      string
		service   string
		instances int
		artifact  string
		want      error
	}{
		{name: "duplicate", service: "orders", instances: 1, artifact: "v1", want: release.ErrConflict},
		{name: "no name", service: "", instances: 1, artifact: "v1", want: release.ErrInvalid},
		{name: "no instances", service: "x", instances: 0, artifact: "v1", want: release.ErrInvalid},
		{name: "bad artifact", service: "x", instances: 1, artifact: "v1+error-rate=2", want: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.AddService(context.Background(), tt.service, tt.instances, tt.artifact); !errors.Is(err, tt.want) {
				t.Errorf("AddService = %v, want %v", err, tt.want)
			}
		})
	}
	if got := f.Services(); len(got) != 1 || got[0] != "orders" {
		t.Errorf("Services = %v, want [orders]", got)
	}
}

func TestInFlightRequestsSurviveRouteChanges(t *testing.T) {
	f := newFleet(t)
	s := addService(t, f, "orders", 1, "v1")
	ctx := context.Background()
	slow, err := f.Launch(ctx, "orders", "v2+latency=400ms")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1", Candidate: slow, Weight: 100}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code    int
		version string
	}
	var v2addr string
	for _, p := range s.Processes() {
		if p.Version == slow {
			v2addr = p.Addr
		}
	}
	before := serverConns(t, v2addr)
	results := make(chan result, 4)
	client := &http.Client{Timeout: 5 * time.Second}
	for range 4 {
		go func() {
			code, v := get(t, client, s.Endpoint())
			results <- result{code, v}
		}()
	}
	// All four are waiting on v2: the proxy has opened a connection to it
	// for each.
	eventually.True(t, 5*time.Second, "the proxy to forward four requests to "+slow, func() bool { return newConns(before, serverConns(t, v2addr)) >= 4 })
	// Roll back, then launch a third version, which stops v2 (it has no
	// traffic and v1 is the stable): its in-flight requests still finish.
	if err := f.SetRoute(ctx, "orders", traffic.Split{Stable: "v1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Launch(ctx, "orders", "v3"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if r := <-results; r.code != 200 || r.version != slow {
			t.Errorf("in-flight request: %d from %s, want 200 from %s", r.code, r.version, slow)
		}
	}
	if code, v := get(t, client, s.Endpoint()); code != 200 || v != "v1" {
		t.Errorf("after rollback: %d from %s, want 200 from v1", code, v)
	}
	for _, p := range s.Processes() {
		if p.Version == slow {
			t.Errorf("%s still runs after a third version launched: %+v", slow, p)
		}
	}
}

// serverConns returns the open server-side TCP connections of addr
// (127.0.0.1:port) from /proc/net/tcp, by their remote address: those
// ESTABLISHED, and those CLOSE_WAIT (the client has closed, the server not
// yet).
func serverConns(t testing.TB, addr string) map[string]bool {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatalf("read the connection table: %v", err)
	}
	local := fmt.Sprintf("0100007F:%04X", p)
	out := map[string]bool{}
	for _, line := range strings.Split(string(table), "\n")[1:] {
		// sl local_address rem_address st ...: st 01 is ESTABLISHED, 08
		// CLOSE_WAIT.
		if f := strings.Fields(line); len(f) > 3 && f[1] == local && (f[3] == "01" || f[3] == "08") {
			out[f[2]] = true
		}
	}
	return out
}

// newConns counts the connections in now that are not in before.
func newConns(before, now map[string]bool) int {
	n := 0
	for c := range now {
		if !before[c] {
			n++
		}
	}
	return n
}
