package metricalarms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/release"
)

// Metrics reads what the fleet's proxies recorded (*fleet.Fleet is one).
type Metrics interface {
	// MetricsByVersion returns a datapoint per version of service that
	// completed requests in [from, to). It returns an ErrNotFound-kind error
	// for an unknown service.
	MetricsByVersion(service string, from, to time.Time) (map[string]fleet.Datapoint, error)
}

// Namespace is the metric namespace reported in state-change events.
const Namespace = "Shipwave/Local"

// Config configures an Engine.
type Config struct {
	Alarms  []Alarm
	Metrics Metrics
	// OnChange receives every state change, including the first evaluation
	// out of INSUFFICIENT_DATA, as an EventBridge event. It is called from
	// the evaluating goroutine without locks held, in order.
	OnChange func(events.CloudWatchEvent)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Interval is how often Start's loop looks for completed periods
	// (default 50ms); an alarm is evaluated once per period, as soon as the
	// period has ended.
	Interval time.Duration
	// Ticks, when set, replaces Start's ticker: the loop evaluates as of
	// each time received, which lets a virtual clock drive the engine.
	Ticks <-chan time.Time
	// Account and Region fill the events' envelopes (defaults 000000000000
	// and us-east-1).
	Account, Region string
	Logger          *slog.Logger
}

// Engine evaluates metric alarms. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	alarms []Alarm

	mu      sync.Mutex
	state   map[string]*status
	changed chan struct{} // closed and replaced on every state change
	started bool
	done    chan struct{}

	evalMu sync.Mutex // one Evaluate at a time, so OnChange calls stay in order
}

type status struct {
	value     alarms.State
	reason    string
	data      string
	at        time.Time
	evaluated time.Time // end of the last evaluated period
}

var _ alarms.Source = (*Engine)(nil)

// New validates the alarms and returns an Engine with every alarm in
// INSUFFICIENT_DATA. It returns an ErrInvalid-kind error naming the first
// bad alarm field or a duplicate name.
func New(cfg Config) (*Engine, error) {
	if cfg.Metrics == nil {
		return nil, release.Errorf(release.ErrInvalid, "metric alarms: Metrics is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 50 * time.Millisecond
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, state: map[string]*status{}, changed: make(chan struct{})}
	now := cfg.Now()
	for _, a := range cfg.Alarms {
		n, err := a.normalize()
		if err != nil {
			return nil, err
		}
		if e.state[n.Name] != nil {
			return nil, release.Errorf(release.ErrInvalid, "alarm %q is defined twice", n.Name)
		}
		e.alarms = append(e.alarms, n)
		e.state[n.Name] = &status{value: alarms.StateInsufficientData, reason: "Unchecked: Initial alarm creation", at: now, evaluated: now.Truncate(n.Period)}
	}
	return e, nil
}

// Alarms returns the engine's alarms with defaults filled in.
func (e *Engine) Alarms() []Alarm { return slices.Clone(e.alarms) }

// Start evaluates alarms in the background until ctx ends, each once per
// period as soon as the period is over. It returns an error if the engine
// was started before.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("metric alarms: already started")
	}
	e.started = true
	e.done = make(chan struct{})
	e.mu.Unlock()
	ticks, now := e.cfg.Ticks, func(at time.Time) time.Time { return at }
	if ticks == nil {
		t := time.NewTicker(e.cfg.Interval)
		ticks, now = t.C, func(time.Time) time.Time { return e.cfg.Now() }
		go func() { <-e.done; t.Stop() }()
	}
	go func() {
		defer close(e.done)
		for {
			select {
			case <-ctx.Done():
				return
			case at, ok := <-ticks:
				if !ok {
					return
				}
				e.Evaluate(ctx, now(at))
			}
		}
	}()
	return nil
}

// Done is closed when a started engine's loop has stopped.
func (e *Engine) Done() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done == nil {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return e.done
}

// Evaluate evaluates every alarm whose period ended since its last
// evaluation, as of now, and announces changes through OnChange (OnChange
// must not call Evaluate). Start calls it; with virtual time, call it
// directly. Metrics of an unknown service count as missing data; other
// metric errors skip the alarm until the next period.
func (e *Engine) Evaluate(ctx context.Context, now time.Time) {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	var evs []events.CloudWatchEvent
	for _, a := range e.alarms {
		end := now.Truncate(a.Period)
		e.mu.Lock()
		st := e.state[a.Name]
		due := end.After(st.evaluated)
		e.mu.Unlock()
		if !due {
			continue
		}
		points, err := e.points(a, end)
		if err != nil {
			e.cfg.Logger.WarnContext(ctx, "alarm metrics unreadable", "alarm", a.Name, "err", err)
			continue
		}
		e.mu.Lock()
		prev := *st
		out := decide(a, points, st.value)
		st.evaluated = end
		if out.state != st.value {
			st.value, st.reason, st.at = out.state, out.reason, now
			st.data = reasonData(a, out, now, end)
			ch := e.changed
			e.changed = make(chan struct{})
			close(ch)
			evs = append(evs, e.event(a, prev, *st))
			e.cfg.Logger.InfoContext(ctx, "alarm state changed", "alarm", a.Name, "from", prev.value, "to", st.value, "reason", st.reason)
		}
		e.mu.Unlock()
	}
	if e.cfg.OnChange == nil {
		return
	}
	for _, ev := range evs {
		e.cfg.OnChange(ev)
	}
}

// points reads a's datapoints for the periods of its evaluation range that
// end by end, oldest first.
func (e *Engine) points(a Alarm, end time.Time) ([]Point, error) {
	n := rangeFor(a)
	out := make([]Point, n)
	for i := range n {
		from := end.Add(-time.Duration(n-i) * a.Period)
		p := Point{Start: from}
		for _, svc := range a.Services {
			by, err := e.cfg.Metrics.MetricsByVersion(svc, from, from.Add(a.Period))
			if errors.Is(err, release.ErrNotFound) {
				continue // a service not (yet) running has no datapoints
			}
			if err != nil {
				return nil, fmt.Errorf("alarm %s: read %s: %w", a.Name, svc, err)
			}
			for _, d := range by {
				merge(a.Metric, &p, d)
			}
		}
		out[i] = p
	}
	return out, nil
}

// merge folds one version's datapoint into p.
func merge(m Metric, p *Point, d fleet.Datapoint) {
	if d.Requests == 0 {
		return
	}
	var v float64
	switch m {
	case RequestCount:
		v = float64(d.Requests)
	case ErrorCount:
		v = float64(d.Errors)
	case ErrorRate:
		v = d.ErrorRate()
	case P99Latency:
		v = float64(d.Percentile(99)) / float64(time.Millisecond)
	}
	switch {
	case !p.Present:
		p.Value = v
	case m == RequestCount || m == ErrorCount:
		p.Value += v
	default:
		p.Value = math.Max(p.Value, v)
	}
	p.Present = true
	p.SampleCount += float64(d.Requests)
}

// States returns the state of every named alarm the engine has.
func (e *Engine) States(_ context.Context, names []string) (map[string]alarms.State, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]alarms.State{}
	for _, n := range names {
		if st := e.state[n]; st != nil {
			out[n] = st.value
		}
	}
	return out, nil
}

// WaitReady waits until no alarm is in INSUFFICIENT_DATA, which the
// preflight check requires: with the metric alarms' default treatment that
// means traffic has flowed through every alarm's services. It returns ctx's
// error wrapped with the names of the alarms still without data.
func (e *Engine) WaitReady(ctx context.Context) error {
	for {
		e.mu.Lock()
		var waiting []string
		for n, st := range e.state {
			if st.value == alarms.StateInsufficientData {
				waiting = append(waiting, n)
			}
		}
		ch := e.changed
		e.mu.Unlock()
		if len(waiting) == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			sort.Strings(waiting)
			return fmt.Errorf("metric alarms not ready, no data yet for %s: %w", strings.Join(waiting, ", "), ctx.Err())
		}
	}
}

// Status is an alarm's current state, for display.
type Status struct {
	Alarm  string       `json:"alarm"`
	State  alarms.State `json:"state"`
	Reason string       `json:"reason"`
	Since  time.Time    `json:"since"`
}

// Snapshot returns every alarm's status, in definition order.
func (e *Engine) Snapshot() []Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Status, len(e.alarms))
	for i, a := range e.alarms {
		st := e.state[a.Name]
		out[i] = Status{Alarm: a.Name, State: st.value, Reason: st.reason, Since: st.at}
	}
	return out
}

const eventTimeLayout = "2006-01-02T15:04:05.000-0700"

type eventState struct {
	Value      string `json:"value"`
	Reason     string `json:"reason"`
	ReasonData string `json:"reasonData,omitempty"`
	Timestamp  string `json:"timestamp"`
}

type metricStat struct {
	Metric struct {
		Namespace  string            `json:"namespace"`
		Name       string            `json:"name"`
		Dimensions map[string]string `json:"dimensions"`
	} `json:"metric"`
	Period int    `json:"period"`
	Stat   string `json:"stat"`
}

type eventMetric struct {
	ID         string     `json:"id"`
	MetricStat metricStat `json:"metricStat"`
	ReturnData bool       `json:"returnData"`
}

type eventDetail struct {
	AlarmName     string     `json:"alarmName"`
	State         eventState `json:"state"`
	PreviousState eventState `json:"previousState"`
	Configuration struct {
		Description string        `json:"description,omitempty"`
		Metrics     []eventMetric `json:"metrics"`
	} `json:"configuration"`
}

func toEventState(st status) eventState {
	return eventState{Value: string(st.value), Reason: st.reason, ReasonData: st.data, Timestamp: st.at.UTC().Format(eventTimeLayout)}
}

// event builds the "CloudWatch Alarm State Change" event for a change.
func (e *Engine) event(a Alarm, prev, cur status) events.CloudWatchEvent {
	d := eventDetail{AlarmName: a.Name, State: toEventState(cur), PreviousState: toEventState(prev)}
	d.Configuration.Description = a.Description
	ms := metricStat{Period: int(a.Period / time.Second), Stat: a.Stat}
	ms.Metric.Namespace = Namespace
	ms.Metric.Name = string(a.Metric)
	ms.Metric.Dimensions = map[string]string{"Service": strings.Join(a.Services, ",")}
	d.Configuration.Metrics = []eventMetric{{ID: "m1", MetricStat: ms, ReturnData: true}}
	var detail bytes.Buffer
	enc := json.NewEncoder(&detail)
	enc.SetEscapeHTML(false) // "OK -> ALARM", as CloudWatch writes it
	_ = enc.Encode(d)        // plain structs of strings and numbers
	return events.CloudWatchEvent{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: alarms.DetailType,
		Source:     alarms.EventSource,
		AccountID:  e.cfg.Account,
		Time:       cur.at.UTC().Truncate(time.Second),
		Region:     e.cfg.Region,
		Resources:  []string{fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", e.cfg.Region, e.cfg.Account, a.Name)},
		Detail:     bytes.TrimSpace(detail.Bytes()),
	}
}

// reasonData is the JSON CloudWatch puts beside a threshold reason.
func reasonData(a Alarm, out outcome, now, end time.Time) string {
	type dp struct {
		Timestamp   string   `json:"timestamp"`
		SampleCount *float64 `json:"sampleCount,omitempty"`
		Value       *float64 `json:"value,omitempty"`
	}
	rd := struct {
		Version             string    `json:"version"`
		QueryDate           string    `json:"queryDate"`
		StartDate           string    `json:"startDate"`
		Statistic           string    `json:"statistic"`
		Period              int       `json:"period"`
		RecentDatapoints    []float64 `json:"recentDatapoints"`
		Threshold           float64   `json:"threshold"`
		EvaluatedDatapoints []dp      `json:"evaluatedDatapoints"`
	}{
		Version: "1.0", QueryDate: now.UTC().Format(eventTimeLayout),
		StartDate: end.Add(-time.Duration(a.EvaluationPeriods) * a.Period).UTC().Format(eventTimeLayout),
		Statistic: a.Stat, Period: int(a.Period / time.Second), Threshold: a.Threshold,
		RecentDatapoints: []float64{}, EvaluatedDatapoints: []dp{},
	}
	for i := len(out.evaluated) - 1; i >= 0; i-- {
		p := out.evaluated[i]
		if !p.Present {
			continue
		}
		v, sc := p.Value, p.SampleCount
		rd.RecentDatapoints = append(rd.RecentDatapoints, v)
		rd.EvaluatedDatapoints = append(rd.EvaluatedDatapoints, dp{Timestamp: p.Start.UTC().Format(eventTimeLayout), SampleCount: &sc, Value: &v})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rd)
	return strings.TrimSpace(b.String())
}
