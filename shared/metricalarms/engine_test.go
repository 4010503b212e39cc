package metricalarms_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/metricalarms"
	"github.com/shipwave/shipwave/shared/release"
)

// metricsFunc adapts a function to metricalarms.Metrics.
type metricsFunc func(service string, from, to time.Time) (map[string]fleet.Datapoint, error)

func (f metricsFunc) MetricsByVersion(service string, from, to time.Time) (map[string]fleet.Datapoint, error) {
	return f(service, from, to)
}

// history is a synthetic per-second history: second → version → (requests,
// errors, latency of every request).
type history map[int]map[string]sample

type sample struct {
	requests, errors int64
	latency          time.Duration
}

var t0 = time.Date(2026, 3, 10, 14, 20, 0, 0, time.UTC)

func (tr history) source(services ...string) metricalarms.Metrics {
	known := map[string]bool{}
	for _, s := range services {
		known[s] = true
	}
	return metricsFunc(func(service string, from, to time.Time) (map[string]fleet.Datapoint, error) {
		if !known[service] {
			return nil, release.Errorf(release.ErrNotFound, "service %s not found", service)
		}
		out := map[string]fleet.Datapoint{}
		for sec := int(from.Sub(t0) / time.Second); t0.Add(time.Duration(sec) * time.Second).Before(to); sec++ {
			for v, s := range tr[sec] {
				lat := make([]time.Duration, s.requests)
				for i := range lat {
					lat[i] = s.latency
				}
				d := out[v]
				out[v] = fleet.NewDatapoint(from, to, d.Requests+s.requests, d.Errors+s.errors, lat...)
			}
		}
		return out, nil
	})
}

// recorder collects OnChange events.
type recorder struct {
	mu  sync.Mutex
	evs []events.CloudWatchEvent
}

func (r *recorder) on(ev events.CloudWatchEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

func (r *recorder) changes(t testing.TB) []alarms.Change {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []alarms.Change
	for _, ev := range r.evs {
		c, err := alarms.ParseStateChange(ev)
		if err != nil {
			t.Fatalf("ParseStateChange: %v", err)
		}
		out = append(out, c)
	}
	return out
}

func errorRateAlarm() metricalarms.Alarm {
	return metricalarms.Alarm{
		Name: "orders-5xx", Services: []string{"orders"}, Metric: metricalarms.ErrorRate,
		Period: time.Second, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 5,
		ComparisonOperator: metricalarms.GreaterThanThreshold,
	}
}

func TestCanaryTripsErrorRateAlarm(t *testing.T) {
	// A canary at 10% whose version fails half its requests: 5% of the
	// service's requests fail, which a service-wide 5% threshold would
	// miss, but the worst version's error rate is 50%.
	tr := history{}
	for sec := 0; sec < 3; sec++ {
		tr[sec] = map[string]sample{"v1": {requests: 100}}
	}
	for sec := 3; sec < 5; sec++ {
		tr[sec] = map[string]sample{"v1": {requests: 90}, "v2": {requests: 10, errors: 5}}
	}
	for sec := 5; sec < 10; sec++ {
		tr[sec] = map[string]sample{"v1": {requests: 100}}
	}
	rec := &recorder{}
	e, err := metricalarms.New(metricalarms.Config{
		Alarms: []metricalarms.Alarm{errorRateAlarm()}, Metrics: tr.source("orders"),
		OnChange: rec.on, Now: func() time.Time { return t0 }, Account: "123456789012",
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	want := map[int]alarms.State{
		// One real datapoint is enough to leave INSUFFICIENT_DATA: with
		// missing data "missing", only real datapoints are evaluated.
		1: alarms.StateOK,
		3: alarms.StateOK,
		4: alarms.StateOK, // 1 of the last 3 breach
		5: alarms.StateAlarm,
		6: alarms.StateAlarm,
		7: alarms.StateOK,
	}
	if got, _ := e.States(ctx, []string{"orders-5xx"}); got["orders-5xx"] != alarms.StateInsufficientData {
		t.Errorf("before any period ended: %v, want INSUFFICIENT_DATA", got)
	}
	for sec := 1; sec <= 7; sec++ {
		e.Evaluate(ctx, t0.Add(time.Duration(sec)*time.Second+10*time.Millisecond))
		if w, ok := want[sec]; ok {
			got, _ := e.States(ctx, []string{"orders-5xx", "nope"})
			if got["orders-5xx"] != w || len(got) != 1 {
				t.Errorf("at %ds: States = %v, want orders-5xx %s only", sec, got, w)
			}
		}
	}
	changes := rec.changes(t)
	wantChanges := []struct{ from, to alarms.State }{
		{alarms.StateInsufficientData, alarms.StateOK},
		{alarms.StateOK, alarms.StateAlarm},
		{alarms.StateAlarm, alarms.StateOK},
	}
	if len(changes) != len(wantChanges) {
		t.Fatalf("changes = %+v, want %d", changes, len(wantChanges))
	}
	for i, w := range wantChanges {
		c := changes[i]
		if c.Previous != w.from || c.State != w.to || c.Alarm != "orders-5xx" || c.Account != "123456789012" || c.Region != "us-east-1" {
			t.Errorf("change %d = %+v, want orders-5xx %s -> %s", i, c, w.from, w.to)
		}
	}
	if !changes[1].Fired() || !changes[1].Time.Equal(t0.Add(5*time.Second+10*time.Millisecond)) {
		t.Errorf("alarm change %+v: want fired at 5.01s", changes[1])
	}
	goldenEvent(t, "canary-alarm.golden", rec.evs[1])
}

// golden compares an event (its id blanked) with testdata/name.
func goldenEvent(t *testing.T, name string, ev events.CloudWatchEvent) {
	t.Helper()
	ev.ID = "00000000-0000-0000-0000-000000000000"
	var detail any
	if err := json.Unmarshal(ev.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	// Indent the detail and the reasonData JSON inside it for review.
	got, err := json.MarshalIndent(struct {
		events.CloudWatchEvent
		Detail any `json:"detail"`
	}{ev, detail}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, name, append(got, '\n'))
}

func TestP99AlarmAndServiceCounts(t *testing.T) {
	tr := history{}
	for sec := 0; sec < 6; sec++ {
		tr[sec] = map[string]sample{"v1": {requests: 50, latency: 20 * time.Millisecond}}
	}
	tr[3]["v2"] = sample{requests: 5, errors: 5, latency: 400 * time.Millisecond}
	tr[4]["v2"] = sample{requests: 5, errors: 5, latency: 400 * time.Millisecond}
	alarmsDef := []metricalarms.Alarm{
		{Name: "p99", Services: []string{"a", "b"}, Metric: metricalarms.P99Latency, Period: time.Second, EvaluationPeriods: 2, Threshold: 250, ComparisonOperator: metricalarms.GreaterThanThreshold},
		// Counts add up over services and versions: 50+50 requests per
		// second on v1, plus 5+5 on v2 in seconds 3 and 4.
		{Name: "traffic-low", Services: []string{"a", "b"}, Metric: metricalarms.RequestCount, Period: time.Second, EvaluationPeriods: 1, Threshold: 105, ComparisonOperator: metricalarms.LessThanThreshold},
		{Name: "errors", Services: []string{"a"}, Metric: metricalarms.ErrorCount, Period: 2 * time.Second, EvaluationPeriods: 1, Threshold: 5, ComparisonOperator: metricalarms.GreaterThanOrEqualToThreshold},
	}
	e, err := metricalarms.New(metricalarms.Config{Alarms: alarmsDef, Metrics: tr.source("a", "b"), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	names := []string{"p99", "traffic-low", "errors"}
	tests := []struct {
		at   int
		want map[string]alarms.State
	}{
		{at: 2, want: map[string]alarms.State{"p99": alarms.StateOK, "traffic-low": alarms.StateAlarm, "errors": alarms.StateOK}},
		{at: 4, want: map[string]alarms.State{"p99": alarms.StateOK, "traffic-low": alarms.StateOK, "errors": alarms.StateAlarm}},
		{at: 5, want: map[string]alarms.State{"p99": alarms.StateAlarm, "traffic-low": alarms.StateOK, "errors": alarms.StateAlarm}},
		{at: 6, want: map[string]alarms.State{"p99": alarms.StateOK, "traffic-low": alarms.StateAlarm, "errors": alarms.StateAlarm}},
		// Data stops after second 5: older real datapoints still count
		// while they are within the evaluation range.
		{at: 8, want: map[string]alarms.State{"p99": alarms.StateOK, "traffic-low": alarms.StateAlarm, "errors": alarms.StateAlarm}},
		{at: 12, want: map[string]alarms.State{"p99": alarms.StateInsufficientData, "traffic-low": alarms.StateInsufficientData, "errors": alarms.StateInsufficientData}},
	}
	for _, tt := range tests {
		for sec := 1; sec <= tt.at; sec++ {
			e.Evaluate(ctx, t0.Add(time.Duration(sec)*time.Second))
		}
		got, _ := e.States(ctx, names)
		for _, n := range names {
			if got[n] != tt.want[n] {
				t.Errorf("at %ds: %s is %s, want %s", tt.at, n, got[n], tt.want[n])
			}
		}
	}
}

func TestWaitReady(t *testing.T) {
	tr := history{0: {"v1": {requests: 10}}, 1: {"v1": {requests: 10}}, 2: {"v1": {requests: 10}}}
	ticks := make(chan time.Time)
	e, err := metricalarms.New(metricalarms.Config{Alarms: []metricalarms.Alarm{errorRateAlarm()}, Metrics: tr.source("orders"), Now: func() time.Time { return t0 }, Ticks: ticks})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = e.WaitReady(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "orders-5xx") {
		t.Fatalf("WaitReady without data = %v, want a deadline error naming orders-5xx", err)
	}
	run, stop := context.WithCancel(context.Background())
	if err := e.Start(run); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); <-e.Done() })
	if err := e.Start(run); err == nil {
		t.Errorf("second Start succeeded")
	}
	ready := make(chan error, 1)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	go func() { ready <- e.WaitReady(ctx2) }()
	ticks <- t0.Add(500 * time.Millisecond) // no period has ended yet
	select {
	case err := <-ready:
		t.Fatalf("WaitReady returned %v before any period ended", err)
	case <-time.After(20 * time.Millisecond):
	}
	ticks <- t0.Add(3 * time.Second)
	if err := <-ready; err != nil {
		t.Fatalf("WaitReady once data flows: %v", err)
	}
	if got, _ := e.States(ctx2, []string{"orders-5xx"}); got["orders-5xx"] != alarms.StateOK {
		t.Errorf("state = %v, want OK", got)
	}
	snap := e.Snapshot()
	if len(snap) != 1 || snap[0].Alarm != "orders-5xx" || snap[0].State != alarms.StateOK || !snap[0].Since.Equal(t0.Add(3*time.Second)) {
		t.Errorf("Snapshot = %+v, want orders-5xx OK since 3s", snap)
	}
}

func TestNewRejectsBadAlarms(t *testing.T) {
	src := history{}.source("orders")
	tests := []struct {
		name   string
		mutate func(*metricalarms.Alarm)
		want   string
	}{
		{name: "no name", mutate: func(a *metricalarms.Alarm) { a.Name = "" }, want: "name is empty"},
		{name: "no services", mutate: func(a *metricalarms.Alarm) { a.Services = nil }, want: "services"},
		{name: "bad metric", mutate: func(a *metricalarms.Alarm) { a.Metric = "CPU" }, want: `metric "CPU"`},
		{name: "sub-second period", mutate: func(a *metricalarms.Alarm) { a.Period = 500 * time.Millisecond }, want: "period 500ms"},
		{name: "no evaluation periods", mutate: func(a *metricalarms.Alarm) { a.EvaluationPeriods = 0 }, want: "evaluationPeriods 0"},
		{name: "M above N", mutate: func(a *metricalarms.Alarm) { a.DatapointsToAlarm = 4 }, want: "datapointsToAlarm 4"},
		{name: "bad comparison", mutate: func(a *metricalarms.Alarm) { a.ComparisonOperator = ">" }, want: `comparisonOperator ">"`},
		{name: "bad missing data", mutate: func(a *metricalarms.Alarm) { a.TreatMissingData = "zero" }, want: `treatMissingData "zero"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := errorRateAlarm()
			tt.mutate(&a)
			_, err := metricalarms.New(metricalarms.Config{Alarms: []metricalarms.Alarm{a}, Metrics: src})
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
	a := errorRateAlarm()
	if _, err := metricalarms.New(metricalarms.Config{Alarms: []metricalarms.Alarm{a, a}, Metrics: src}); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("duplicate alarm: New = %v, want ErrInvalid", err)
	}
}
