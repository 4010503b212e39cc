package loadtest

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// target is a loopback HTTP server that tallies what it served: arrival
// times, the most requests it held at once, and responses by status.
type target struct {
	*httptest.Server
	mu       sync.Mutex
	arrivals []time.Time
	status   map[int]int64
	inFlight int
	maxIn    int
}

// newTarget starts a server that answers every request with respond, which
// returns the status to write; it may block.
func newTarget(tb testing.TB, respond func(n int64, r *http.Request) int) *target {
	tb.Helper()
	tg := &target{status: map[int]int64{}}
	var n atomic.Int64
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.arrivals = append(tg.arrivals, time.Now())
		tg.inFlight++
		tg.maxIn = max(tg.maxIn, tg.inFlight)
		tg.mu.Unlock()
		code := respond(n.Add(1)-1, r)
		tg.mu.Lock()
		tg.inFlight--
		tg.status[code]++
		tg.mu.Unlock()
		if code >= 300 && code < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte("ok"))
	}))
	tb.Cleanup(tg.Close)
	return tg
}

func (tg *target) tally() (status map[int]int64, maxIn int, arrivals []time.Time) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	s := make(map[int]int64, len(tg.status))
	for k, v := range tg.status {
		s[k] = v
	}
	return s, tg.maxIn, append([]time.Time(nil), tg.arrivals...)
}

func ok(int64, *http.Request) int { return http.StatusOK }

func mustRun(tb testing.TB, cfg Config) Result {
	tb.Helper()
	r, err := Run(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	if err := r.Validate(); err != nil {
		tb.Fatalf("Run returned an invalid result: %v", err)
	}
	return r
}

// fakeClock advances only when slept on, and remembers every due time.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, t)
	if t.After(c.now) {
		c.now = t
	}
	return ctx.Err()
}

func TestRateScheduleRampsLinearlyThenHolds(t *testing.T) {
	tests := []struct {
		name              string
		rps               float64
		ramp, hold        time.Duration
		wantWarm, wantAll int64
		// wantFirstHalf is how many requests are due in the first half of
		// the ramp: a quarter of the ramp's requests for a linear ramp.
		wantFirstHalf int
	}{
		{name: "no ramp", rps: 100, hold: time.Second, wantAll: 100},
		{name: "ramp and hold", rps: 100, ramp: time.Second, hold: time.Second, wantWarm: 50, wantAll: 150, wantFirstHalf: 13},
		{name: "fractional rate", rps: 2.5, ramp: 4 * time.Second, hold: 10 * time.Second, wantWarm: 5, wantAll: 30, wantFirstHalf: 2},
		{name: "long ramp", rps: 40, ramp: 10 * time.Second, hold: 5 * time.Second, wantWarm: 200, wantAll: 400, wantFirstHalf: 50},
	}
	srv := newTarget(t, ok)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			r := mustRun(t, Config{URL: srv.URL, Mode: ModeRate, RPS: tt.rps, RampUp: tt.ramp, HoldFor: tt.hold, Clock: clock})
			if got := r.Warmup.Attempts(); got != tt.wantWarm {
				t.Errorf("got %d ramp-up requests, want %d", got, tt.wantWarm)
			}
			if got := r.Warmup.Attempts() + r.Counts.Attempts(); got != tt.wantAll {
				t.Errorf("got %d requests in all, want %d", got, tt.wantAll)
			}
			if r.Counts.OK != r.Counts.Requests || r.Counts.Dropped != 0 {
				t.Errorf("got counts %+v, want every request OK", r.Counts)
			}
			firstHalf := 0
			for i, due := range clock.slept {
				if i > 0 && due.Before(clock.slept[i-1]) {
					t.Fatalf("due time %d (%v) before the previous one (%v)", i, due, clock.slept[i-1])
				}
				if due.Before(t0.Add(tt.ramp / 2)) {
					firstHalf++
				}
				if !due.Before(t0.Add(tt.ramp + tt.hold)) {
					t.Errorf("request due at %v, after the run's end", due.Sub(t0))
				}
			}
			if tt.ramp > 0 && firstHalf != tt.wantFirstHalf {
				t.Errorf("got %d requests due in the first half of the ramp, want %d", firstHalf, tt.wantFirstHalf)
			}
			// In the hold window requests are exactly 1/rps apart.
			hold := clock.slept[tt.wantWarm:]
			gap := time.Duration(float64(time.Second) / tt.rps)
			for i := 1; i < len(hold); i++ {
				if d := hold[i].Sub(hold[i-1]); d < gap-time.Microsecond || d > gap+time.Microsecond {
					t.Fatalf("hold requests %d and %d are %v apart, want %v", i-1, i, d, gap)
				}
			}
			if got, want := r.Throughput(), tt.rps; got < want*0.999 || got > want*1.001 {
				t.Errorf("got throughput %.2f, want %.2f", got, want)
			}
		})
	}
}

// dueOffset is when request k of a rate run is due after the start: the
// schedule Run promises, written out independently.
func dueOffset(k int, rps float64, ramp time.Duration) time.Duration {
	rampN := rps * ramp.Seconds() / 2
	if float64(k) < rampN {
		return time.Duration(math.Sqrt(2*ramp.Seconds()*float64(k)/rps) * float64(time.Second))
	}
	return ramp + time.Duration((float64(k)-rampN)/rps*float64(time.Second))
}

func TestRateAgainstRealServer(t *testing.T) {
	srv := newTarget(t, ok)
	const rps = 200
	const ramp = 500 * time.Millisecond
	began := time.Now()
	r := mustRun(t, Config{URL: srv.URL, Mode: ModeRate, RPS: rps, RampUp: ramp, HoldFor: time.Second})
	if took := time.Since(began); took < 1495*time.Millisecond {
		t.Errorf("run took %v, want at least until the last request due at 1.495s", took)
	}
	if r.Warmup.Attempts() != 50 || r.Counts.Attempts() != 200 {
		t.Fatalf("got %d + %d attempts, want 50 ramp-up + 200 hold", r.Warmup.Attempts(), r.Counts.Attempts())
	}
	if r.Counts.OK != 200 || r.Warmup.OK != 50 {
		t.Errorf("got %+v / %+v, want every request OK", r.Warmup, r.Counts)
	}
	if got := r.Throughput(); got < rps*0.8 || got > rps*1.2 {
		t.Errorf("got %.1f rps (%d requests in %v), want %d ±20%%", got, r.Counts.Requests, r.Hold, rps)
	}
	status, _, arrivals := srv.tally()
	if status[200] != 250 || len(arrivals) != 250 {
		t.Fatalf("server saw %d arrivals (%v), want 250", len(arrivals), status)
	}
	// Pacing, checked one-sidedly so a loaded machine cannot fail it: by the
	// time request k is due no more than k requests can have arrived, so the
	// k-th arrival (in order) is no earlier than request k's due time. A
	// generator that bursts fails this at once.
	slices.SortFunc(arrivals, time.Time.Compare)
	for k, a := range arrivals {
		if due := r.Start.Add(dueOffset(k, rps, ramp)); a.Before(due.Add(-time.Millisecond)) {
			t.Fatalf("arrival %d at %v after the start, before its due time %v", k, a.Sub(r.Start), due.Sub(r.Start))
		}
	}
	if r.Latency.Count() != 200 {
		t.Errorf("got %d latency samples, want 200", r.Latency.Count())
	}
}

func TestConcurrencyHoldsWorkersBusy(t *testing.T) {
	srv := newTarget(t, func(int64, *http.Request) int {
		time.Sleep(20 * time.Millisecond) // the server's latency under test
		return http.StatusOK
	})
	r := mustRun(t, Config{URL: srv.URL, Mode: ModeConcurrency, Concurrency: 4, RampUp: 200 * time.Millisecond, HoldFor: 800 * time.Millisecond})
	_, maxIn, _ := srv.tally()
	if maxIn != 4 {
		t.Errorf("server held at most %d requests at once, want exactly 4", maxIn)
	}
	if r.Warmup.Requests == 0 {
		t.Errorf("got no ramp-up requests, want some")
	}
	// Each worker needs at least 20ms a request: at most 4 × 800ms / 20ms (+1 each) in the hold.
	if r.Counts.Requests > 164 || r.Counts.Requests < 8 {
		t.Errorf("got %d hold requests, want between 8 and 164", r.Counts.Requests)
	}
	if p50 := r.Latency.Quantile(0.5); p50 < 20*time.Millisecond {
		t.Errorf("got p50 %v, want at least the server's 20ms", p50)
	}
	if r.Counts.OK != r.Counts.Requests {
		t.Errorf("got %+v, want every request OK", r.Counts)
	}
}

func TestClassifiesOutcomes(t *testing.T) {
	srv := newTarget(t, func(n int64, _ *http.Request) int {
		return []int{http.StatusOK, http.StatusInternalServerError, http.StatusNotFound, http.StatusFound, http.StatusOK, 299, 600 - 1}[n%7]
	})
	r := mustRun(t, Config{URL: srv.URL, Mode: ModeConcurrency, Concurrency: 1, RampUp: 100 * time.Millisecond, HoldFor: 600 * time.Millisecond})
	status, _, _ := srv.tally()
	got := r.Warmup
	got.Requests += r.Counts.Requests
	got.OK += r.Counts.OK
	got.ServerError += r.Counts.ServerError
	got.ClientError += r.Counts.ClientError
	got.Redirect += r.Counts.Redirect
	want := Counts{
		Requests:    status[200] + status[500] + status[404] + status[302] + status[299] + status[599],
		OK:          status[200] + status[299],
		ServerError: status[500] + status[599],
		ClientError: status[404],
		Redirect:    status[302],
	}
	if got != want {
		t.Errorf("generator counted %+v, server served %+v", got, want)
	}
	if want.Requests < 7 {
		t.Errorf("server served only %d requests, want a full cycle of 7", want.Requests)
	}
}

func TestTimeoutsAndTransportErrors(t *testing.T) {
	slow := newTarget(t, func(_ int64, r *http.Request) int {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
		return http.StatusOK
	})
	closer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(closer.Close)
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	tests := []struct {
		name        string
		url         string
		wantTimeout bool
	}{
		{name: "timeout", url: slow.URL, wantTimeout: true},
		{name: "connection closed", url: closer.URL},
		{name: "connection refused", url: refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := 2 * time.Second
			if tt.wantTimeout {
				timeout = 50 * time.Millisecond
			}
			r := mustRun(t, Config{URL: tt.url, Mode: ModeConcurrency, Concurrency: 2, HoldFor: 300 * time.Millisecond, Timeout: timeout})
			if r.Counts.Requests == 0 {
				t.Fatalf("got no requests")
			}
			failed := r.Counts.Transport
			if tt.wantTimeout {
				failed = r.Counts.Timeouts
				if p50 := r.Latency.Quantile(0.5); p50 < 50*time.Millisecond {
					t.Errorf("got p50 %v, want at least the 50ms timeout", p50)
				}
			}
			if failed != r.Counts.Requests || r.Counts.ErrorRate() != 1 {
				t.Errorf("got %+v, want all %d requests failed as %s", r.Counts, r.Counts.Requests, tt.name)
			}
		})
	}
}

func TestRateDropsAtInFlightCap(t *testing.T) {
	srv := newTarget(t, func(int64, *http.Request) int {
		time.Sleep(300 * time.Millisecond) // the server's latency under test
		return http.StatusOK
	})
	r := mustRun(t, Config{URL: srv.URL, Mode: ModeRate, RPS: 100, HoldFor: time.Second, MaxInFlight: 2})
	_, maxIn, _ := srv.tally()
	if maxIn > 2 {
		t.Errorf("server held %d requests at once, want at most the cap of 2", maxIn)
	}
	if r.Counts.Attempts() != 100 {
		t.Errorf("got %d attempts, want the 100 scheduled", r.Counts.Attempts())
	}
	// At most 2 in flight for 300ms each: no more than 2 × ⌈1.3s / 300ms⌉ = 10 sent.
	if r.Counts.Requests < 2 || r.Counts.Requests > 10 || r.Counts.Dropped < 90 {
		t.Errorf("got %+v, want 2..10 sent and the rest dropped", r.Counts)
	}
	if r.Counts.ErrorRate() < 0.9 {
		t.Errorf("got error rate %v, want drops counted as errors", r.Counts.ErrorRate())
	}
}

// stallingClock is the real clock except that, once, sleeping past at
// oversleeps by stall: the generator itself stalls.
type stallingClock struct {
	realClock
	at    time.Time
	stall time.Duration
	once  sync.Once
}

func (c *stallingClock) SleepUntil(ctx context.Context, t time.Time) error {
	if t.After(c.at) {
		c.once.Do(func() { time.Sleep(c.stall) }) // the generator's stall under test
	}
	return c.realClock.SleepUntil(ctx, t)
}

func TestCoordinatedOmission(t *testing.T) {
	const stall = 300 * time.Millisecond
	// The stalling server stops answering once, for stall, from its 100th
	// request (half a second into the run at 200 rps): that request holds
	// the gate every other one needs.
	var gate sync.RWMutex
	stalling := newTarget(t, func(n int64, _ *http.Request) int {
		if n == 100 {
			gate.Lock()
			defer gate.Unlock()
			time.Sleep(stall) // the stall under test
			return http.StatusOK
		}
		gate.RLock()
		defer gate.RUnlock()
		return http.StatusOK
	})
	healthy := newTarget(t, ok)
	tests := []struct {
		name  string
		url   string
		clock func(start time.Time) Clock
	}{
		{name: "server stalls once", url: stalling.URL},
		{name: "generator stalls once", url: healthy.URL, clock: func(start time.Time) Clock {
			return &stallingClock{at: start.Add(500 * time.Millisecond), stall: stall}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{URL: tt.url, Mode: ModeRate, RPS: 200, HoldFor: 1500 * time.Millisecond}
			if tt.clock != nil {
				cfg.Clock = tt.clock(time.Now())
			}
			r := mustRun(t, cfg)
			// 300 requests, 60 due during the stall, waiting up to 300ms: 13%
			// wait over 100ms, so p99 and even p90 see the stall. (Only lower
			// bounds: a loaded machine adds latency, it never removes it.)
			if p99 := r.Latency.Quantile(0.99); p99 < 250*time.Millisecond {
				t.Errorf("got p99 %v, want the %v stall to show (at least 250ms)", p99, stall)
			}
			if p90 := r.Latency.Quantile(0.90); p90 < 100*time.Millisecond {
				t.Errorf("got p90 %v, want at least 100ms", p90)
			}
			if r.Counts.Requests != 300 {
				t.Errorf("got %+v, want all 300 requests sent", r.Counts)
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	srv := newTarget(t, ok)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	r, err := Run(ctx, Config{RunID: "r1", URL: srv.URL, Mode: ModeRate, RPS: 100, HoldFor: 10 * time.Second})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got error %v, want one wrapping context.DeadlineExceeded", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Run took %v after cancellation, want it to stop promptly", took)
	}
	if !r.Interrupted || r.Hold <= 0 || r.Hold >= 5*time.Second {
		t.Errorf("got interrupted %v hold %v, want true and the ~300ms run", r.Interrupted, r.Hold)
	}
	if err := r.Validate(); err != nil {
		t.Errorf("partial result is invalid: %v", err)
	}
	if r.Counts.Requests == 0 {
		t.Errorf("got no requests in the partial result")
	}
	if v := Evaluate(r, release.Criteria{}); v.Passed || !strings.Contains(v.Reason, "interrupted") {
		t.Errorf("got verdict %+v, want failed as interrupted", v)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	good := Config{URL: "http://127.0.0.1:1/", Mode: ModeRate, RPS: 1, HoldFor: time.Second}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantMsg string
	}{
		{name: "no url", edit: func(c *Config) { c.URL = "" }, wantMsg: "url:"},
		{name: "relative url", edit: func(c *Config) { c.URL = "/health" }, wantMsg: "url:"},
		{name: "ftp url", edit: func(c *Config) { c.URL = "ftp://x/" }, wantMsg: "url:"},
		{name: "no mode", edit: func(c *Config) { c.Mode = "" }, wantMsg: "mode:"},
		{name: "zero rate", edit: func(c *Config) { c.RPS = 0 }, wantMsg: "rps:"},
		{name: "zero concurrency", edit: func(c *Config) { c.Mode = ModeConcurrency }, wantMsg: "concurrency:"},
		{name: "no hold", edit: func(c *Config) { c.HoldFor = 0 }, wantMsg: "holdFor:"},
		{name: "negative ramp", edit: func(c *Config) { c.RampUp = -time.Second }, wantMsg: "rampUp:"},
		{name: "negative timeout", edit: func(c *Config) { c.Timeout = -1 }, wantMsg: "timeout:"},
		{name: "negative cap", edit: func(c *Config) { c.MaxInFlight = -1 }, wantMsg: "maxInFlight:"},
		{name: "negative task", edit: func(c *Config) { c.Task = -1 }, wantMsg: "task:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := Run(context.Background(), cfg)
			if !errors.Is(err, release.ErrInvalid) || !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want an invalid error starting %q", err, tt.wantMsg)
			}
		})
	}
}
