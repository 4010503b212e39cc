package synthetic_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/selfinvoke"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/store/storetest"
	"github.com/shipwave/shipwave/shared/synthetic"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

// rig is a fake Lambda with the function "orders" (versions 1 and 2) and
// the synthetic function, a store on dynalite, an injected clock and a
// ticker the test drives.
type rig struct {
	fake  *awsfake.Lambda
	store *store.Store
	clock *storetest.Clock
	ticks chan time.Time
	last  time.Time // of the last tick

	mu       sync.Mutex
	versions []string // of the invocations "orders" served, in order served
	payloads map[string]bool
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{fake: awsfake.NewLambda(t), clock: storetest.NewClock(), ticks: make(chan time.Time), payloads: map[string]bool{}}
	client, table := dynalitetest.Table(t)
	r.store = store.New(client, table, store.WithNow(r.clock.Now))
	r.fake.AddFunction("orders", "sha-1")
	r.fake.Publish("orders", "v1")
	r.fake.UpdateCode("orders", "sha-2")
	r.fake.Publish("orders", "v2")
	r.fake.AddFunction("shipwave-synthetic", "sha-s")
	r.fake.HandleInvoke("orders", func(_, version string, payload []byte) ([]byte, string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.versions = append(r.versions, version)
		r.payloads[string(payload)] = true
		return []byte(`{"ok":true}`), ""
	})
	return r
}

func (r *rig) sender(t *testing.T, margin time.Duration) *synthetic.Sender {
	client := lambda.NewFromConfig(awsfake.Config(r.fake.URL()))
	return &synthetic.Sender{
		Lambda: client, Counter: r.store,
		Chain: selfinvoke.Sender{Client: client, Function: "shipwave-synthetic", Kind: synthetic.JobKind},
		Now:   r.clock.Now, Tick: func() (<-chan time.Time, func()) { return r.ticks, func() {} },
		Margin: margin, Logger: slog.New(slog.NewTextHandler(tlog{t}, nil)),
	}
}

// tlog writes log lines to the test's log.
type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }

// served returns how many invocations "orders" served per version.
func (r *rig) served() (total int, perVersion map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	perVersion = map[string]int{}
	for _, v := range r.versions {
		perVersion[v]++
	}
	return len(r.versions), perVersion
}

// notifying passes each count the sender records on to added, once the
// table has it, so a test can act between two of them.
type notifying struct {
	synthetic.Counter
	added chan int64
}

func (n notifying) AddSyntheticSent(ctx context.Context, target, runID string, k int64) (int64, bool, error) {
	total, stop, err := n.Counter.AddSyntheticSent(ctx, target, runID, k)
	if err == nil && !stop {
		n.added <- total
	}
	return total, stop, err
}

// counted makes s report its counts; the returned wait returns once the
// table's count has reached want.
func counted(t *testing.T, s *synthetic.Sender) (wait func(want int64)) {
	n := notifying{Counter: s.Counter, added: make(chan int64, 64)}
	s.Counter = n
	return func(want int64) {
		t.Helper()
		for {
			select {
			case got := <-n.added:
				if got == want {
					return
				}
				if got > want {
					t.Fatalf("the count went past %d to %d", want, got)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the count never reached %d", want)
			}
		}
	}
}

// run starts s.Run in the background; the returned channel gets its error.
func run(ctx context.Context, s *synthetic.Sender, job synthetic.Job) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, job) }()
	return done
}

// tick sends the sender the time a second after its last tick (the first
// a second after the clock's), letting it past its wait: when tick
// returns, every burst before it has been served. A sender that ended
// instead fails the test.
func (r *rig) tick(t *testing.T, done <-chan error) {
	t.Helper()
	if r.last.IsZero() {
		r.last = r.clock.Now()
	}
	r.last = r.last.Add(time.Second)
	select {
	case r.ticks <- r.last:
	case err := <-done:
		t.Fatalf("the sender ended before the tick: %v", err)
	}
}

func (r *rig) job(t *testing.T, rps int, until time.Duration, event string) synthetic.Job {
	t.Helper()
	j := synthetic.Job{Target: "orders-live", Function: "orders", Candidate: "2", Baseline: "1", RPS: rps,
		Until: r.clock.Now().Add(until), RunID: "run-1", Event: json.RawMessage(event)}
	if err := r.store.StartSyntheticRun(storetest.Ctx(t), j.Target, j.RunID, j.Until); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestSenderSendsAtTheCapUntilTheEnd: rps invocations a second, no more,
// alternating candidate and baseline, each with the spec's payload; it
// ends by itself at until, without chaining, and the table has its count.
func TestSenderSendsAtTheCapUntilTheEnd(t *testing.T) {
	for _, tc := range []struct {
		name, event, wantPayload string
	}{
		{"the spec's event", `{"path":"/health","synthetic":true}`, `{"path":"/health","synthetic":true}`},
		{"no event: {}", ``, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(10*time.Minute))
			defer cancel()
			done := run(ctx, r.sender(t, time.Minute), r.job(t, 4, 3*time.Second, tc.event))
			for k := 1; k <= 3; k++ {
				r.tick(t, done)
				if n, _ := r.served(); n < 4*k || n > 4*(k+1) {
					t.Fatalf("after %d ticks %d invocations served, want %d to %d (rps 4)", k, n, 4*k, 4*(k+1))
				}
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			n, per := r.served()
			if n != 12 || per["1"] != 6 || per["2"] != 6 {
				t.Errorf("served %d (%v), want 12 over 3 seconds, 6 per version", n, per)
			}
			r.mu.Lock()
			if len(r.payloads) != 1 || !r.payloads[tc.wantPayload] {
				t.Errorf("payloads %v, want only %s", r.payloads, tc.wantPayload)
			}
			r.mu.Unlock()
			if got := r.fake.Requests("Invoke"); len(got) != 12 {
				t.Errorf("%d Invoke calls, want 12 and no chained invocation (until came first)", len(got))
			}
			for _, req := range r.fake.Requests("Invoke") {
				if req.Params["InvocationType"] != "RequestResponse" || (req.Params["Qualifier"] != "1" && req.Params["Qualifier"] != "2") {
					t.Fatalf("invocation %v: want a synchronous one of version 1 or 2 (never the alias)", req.Params)
				}
			}
			sent, running, err := r.store.StopSyntheticRun(storetest.Ctx(t), "orders-live")
			if err != nil || !running || sent != 12 {
				t.Errorf("the run's count = %d (running %v, %v), want 12", sent, running, err)
			}
		})
	}
}

// TestSenderStopsOnTheMarker: once StopSyntheticRun has marked the run, the
// sender's next count tells it to stop.
func TestSenderStopsOnTheMarker(t *testing.T) {
	r := newRig(t)
	s := r.sender(t, 0)
	countedTo := counted(t, s)
	done := run(storetest.Ctx(t), s, r.job(t, 2, time.Hour, ""))
	r.tick(t, done)
	countedTo(2) // the first second's, before the second burst
	sent, running, err := r.store.StopSyntheticRun(storetest.Ctx(t), "orders-live")
	if err != nil || !running || sent != 2 {
		t.Fatalf("stop = %d, %v, %v; want the first second's 2 counted", sent, running, err)
	}
	r.tick(t, done)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := r.served(); n != 4 {
		t.Errorf("served %d, want 4 (two bursts, then the marker)", n)
	}
}

// TestSenderChainsBeforeItsTimeout: with its invocation's deadline near and
// the run's end later, the sender hands the run, with what it sent, to an
// asynchronous invocation of the synthetic function, which carries on the
// alternation.
func TestSenderChainsBeforeItsTimeout(t *testing.T) {
	r := newRig(t)
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(10*time.Minute))
	defer cancel()
	// The clock is the deadline's: handing over is due 2s after the start.
	r.clock = storetest.NewClock()
	r.clock.Advance(start.Sub(r.clock.Now()))
	job := r.job(t, 3, time.Hour, "")
	s := r.sender(t, 10*time.Minute-2*time.Second)
	s.Now = r.clock.Now
	done := run(ctx, s, job)
	r.tick(t, done)
	r.tick(t, done)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var chained []awsfake.Request
	for _, req := range r.fake.Requests("Invoke") {
		if req.Params["FunctionName"] == "shipwave-synthetic" {
			chained = append(chained, req)
		}
	}
	if len(chained) != 1 || chained[0].Params["InvocationType"] != "Event" {
		t.Fatalf("chained invocations %v, want one asynchronous", chained)
	}
	var env struct {
		Kind string        `json:"shipwaveJob"`
		Job  synthetic.Job `json:"job"`
	}
	if err := json.Unmarshal([]byte(chained[0].Params["Payload"].(string)), &env); err != nil {
		t.Fatal(err)
	}
	next := env.Job
	if env.Kind != synthetic.JobKind || next.Sent != 6 || next.RunID != job.RunID || !next.Until.Equal(job.Until) || next.RPS != 3 {
		t.Errorf("chained job %+v (kind %s), want the same run with 6 sent", next, env.Kind)
	}
	if n, _ := r.served(); n != 6 {
		t.Fatalf("served %d, want 6 (two seconds at 3)", n)
	}
	_, per := r.served()
	if per["1"] != 3 || per["2"] != 3 {
		t.Errorf("served %v, want 3 per version", per)
	}
}

// TestSenderContinuesTheAlternation: a chained link whose run has sent an
// odd number (the table's count) starts with the baseline, so the two
// versions stay even across links.
func TestSenderContinuesTheAlternation(t *testing.T) {
	for _, tc := range []struct {
		sent int64
		want string
	}{{0, "2"}, {1, "1"}, {6, "2"}, {7, "1"}} {
		r := newRig(t)
		job := r.job(t, 1, time.Second, "")
		if _, _, err := r.store.AddSyntheticSent(storetest.Ctx(t), job.Target, job.RunID, tc.sent); err != nil {
			t.Fatal(err)
		}
		job.Sent = tc.sent
		done := run(storetest.Ctx(t), r.sender(t, 0), job)
		r.tick(t, done)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		r.mu.Lock()
		got := r.versions
		r.mu.Unlock()
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("after %d sent: served %v, want version %s first", tc.sent, got, tc.want)
		}
	}
}
