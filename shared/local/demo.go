package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/release"
)

// DemoPipeline is the pipeline examples/local-demo.yaml defines.
const DemoPipeline = "demo"

// DemoConfig configures the scripted demo.
type DemoConfig struct {
	// Pipeline is the pipeline to release; empty means DemoPipeline.
	Pipeline string
	// Approver approves gated stages; empty means "demo-user".
	Approver string
	// Fault is the bad version's fault; empty means "error-rate=0.5".
	Fault string
	// FaultStage is where the faults show; empty means "prod".
	FaultStage string
	// SubtleFault is the third version's fault, a regression no threshold
	// alarm sees and canary analysis must catch; empty means
	// "latency=+40%" (the default fleet's 20 ms service 40% slower).
	SubtleFault string
	// Out receives the live progress (each release's timeline, once) and
	// the result.
	Out io.Writer
	// Timeout bounds each release; 0 means 3 minutes.
	Timeout time.Duration
	// TimeScale is the stack's Config.TimeScale: event times run that much
	// faster than the wall clock; 0 means 1.
	TimeScale float64
}

// DemoResult is what the demo saw.
type DemoResult struct {
	Good, Bad ReleaseView
	// Subtle is the release of the version only canary analysis catches.
	Subtle ReleaseView
	// AlarmToRestored is the time from the alarm that failed the bad
	// release's bake to 100% of traffic back on the good version.
	AlarmToRestored time.Duration
	// Problems lists every expectation that did not hold; empty means the
	// demo passed.
	Problems []string
}

// API is what the demo and `shipwave release` need from a stack: the
// local API client, or the Stack itself in-process.
type API interface {
	Push(ctx context.Context, pipeline string, req PushRequest) (PushResponse, error)
	Release(ctx context.Context, id string) (ReleaseView, error)
	Status(ctx context.Context) (Status, error)
}

// Decider approves or rejects approvals.
type Decider interface {
	Decide(ctx context.Context, id string, approve bool, d DecisionRequest) error
}

// RunDemo pushes a healthy v2 and follows it through every stage, then a v3
// that fails under production traffic and follows its alarm and automatic
// rollback, then a v4 slower by a share no alarm sees, which canary
// analysis fails and rolls back, printing each timeline live (once) and the
// result. It returns the result and an error when any expectation did not
// hold.
func RunDemo(ctx context.Context, api interface {
	API
	Decider
}, cfg DemoConfig) (DemoResult, error) {
	if cfg.Pipeline == "" {
		cfg.Pipeline = DemoPipeline
	}
	if cfg.Approver == "" {
		cfg.Approver = "demo-user"
	}
	if cfg.Fault == "" {
		cfg.Fault = "error-rate=0.5"
	}
	if cfg.FaultStage == "" {
		cfg.FaultStage = "prod"
	}
	if cfg.SubtleFault == "" {
		cfg.SubtleFault = "latency=+40%"
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Minute
	}
	var res DemoResult
	out := cfg.Out
	problem := func(format string, args ...any) {
		res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
	}

	fmt.Fprintf(out, "\n━━ 1/3  a healthy v2 goes out: beta, then prod wave by wave ━━\n")
	good, err := pushExpecting(ctx, api, cfg, PushRequest{Version: "v2", Actor: "demo"}, release.StatusSucceeded, "", problem)
	if err != nil {
		return res, err
	}
	res.Good = good
	checkRoutes(ctx, api, "v2", "after v2", problem)

	fmt.Fprintf(out, "\n━━ 2/3  v3 with a fault (%s, only under %s traffic) ━━\n", cfg.Fault, cfg.FaultStage)
	bad, err := pushExpecting(ctx, api, cfg, PushRequest{Version: "v3", Fault: cfg.Fault, FaultStage: cfg.FaultStage, Actor: "demo"}, release.StatusRolledBack, "", problem)
	if err != nil {
		return res, err
	}
	res.Bad = bad
	alarmAt, restoredAt := time.Time{}, time.Time{}
	for _, e := range bad.Events {
		if e.Type == release.EventAlarm && alarmAt.IsZero() {
			alarmAt = e.Time
		}
		if e.Type == release.EventRolledBack {
			restoredAt = e.Time
		}
	}
	if alarmAt.IsZero() {
		problem("v3 was not stopped by an alarm (no %s event)", release.EventAlarm)
	} else if !restoredAt.IsZero() {
		res.AlarmToRestored = restoredAt.Sub(alarmAt)
		if cfg.TimeScale > 1 {
			res.AlarmToRestored = time.Duration(float64(res.AlarmToRestored) / cfg.TimeScale)
		}
	}
	checkRoutes(ctx, api, "v2", "after v3", problem)

	// v3's alarm stays in ALARM until its bad periods age out; a release
	// refuses to start while a watched alarm fires.
	if err := waitAlarmsOK(ctx, api, cfg.Timeout); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\n━━ 3/3  v4 with a subtle fault (%s, only under %s traffic): no alarm sees it, canary analysis must ━━\n", cfg.SubtleFault, cfg.FaultStage)
	subtle, err := pushExpecting(ctx, api, cfg, PushRequest{Version: "v4", Fault: cfg.SubtleFault, FaultStage: cfg.FaultStage, Actor: "demo"}, release.StatusRolledBack, " by canary analysis", problem)
	if err != nil {
		return res, err
	}
	res.Subtle = subtle
	if n := countEvents(subtle, release.EventAlarm); n > 0 {
		problem("v4 tripped %d alarm(s); its regression was meant to stay below every threshold", n)
	}
	if !judged(subtle, "fail") {
		problem("v4 has no failing %s event", release.EventAnalysis)
	}
	if !judged(good, "pass") {
		problem("v2 has no passing %s event (the one-box step's analysis)", release.EventAnalysis)
	}
	checkRoutes(ctx, api, "v2", "after v4", problem)

	// The timelines were printed live above; the result only sums them up.
	fmt.Fprintf(out, "\n━━ result ━━\n")
	fmt.Fprintf(out, "v2: %s (release %s, %d events)\n", good.Release.Status, good.Release.ID, len(good.Events))
	fmt.Fprintf(out, "v3: %s (release %s, %d events)%s\n", bad.Release.Status, bad.Release.ID, len(bad.Events), reasonSuffix(bad.Release.Reason))
	fmt.Fprintf(out, "v4: %s (release %s, %d events)%s\n", subtle.Release.Status, subtle.Release.ID, len(subtle.Events), reasonSuffix(subtle.Release.Reason))
	if res.AlarmToRestored > 0 {
		fmt.Fprintf(out, "alarm → 100%% restored on the last good version: %s\n", res.AlarmToRestored.Round(time.Millisecond))
	}
	if len(res.Problems) > 0 {
		for _, p := range res.Problems {
			fmt.Fprintf(out, "✗ %s\n", p)
		}
		return res, fmt.Errorf("demo: %d expectation(s) failed", len(res.Problems))
	}
	fmt.Fprintf(out, "✓ v2 fully promoted; v3 caught by an alarm, v4 by canary analysis alone, each rolled back by itself; 100%% of traffic on v2 everywhere\n")
	return res, nil
}

// pushExpecting pushes req, follows its release to the end and reports a
// problem unless it ended want (why says more about what was wanted).
func pushExpecting(ctx context.Context, api interface {
	API
	Decider
}, cfg DemoConfig, req PushRequest, want release.Status, why string, problem func(string, ...any)) (ReleaseView, error) {
	v, err := followPush(ctx, api, cfg, req)
	if err != nil {
		return v, err
	}
	if v.Release.Status != want {
		problem("%s ended %s (%s), want %s%s", req.Version, v.Release.Status, shorten(v.Release.Reason, 240), want, why)
	}
	return v, nil
}

// waitAlarmsOK returns once no alarm of the stack is in ALARM, or fails
// after timeout.
func waitAlarmsOK(ctx context.Context, api API, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		st, err := api.Status(ctx)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		firing := false
		for _, s := range st.Alarms {
			firing = firing || s == alarms.StateAlarm
		}
		if !firing {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the alarms to clear: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// countEvents counts v's events of type typ.
func countEvents(v ReleaseView, typ release.EventType) int {
	n := 0
	for _, e := range v.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// judged reports whether v has an AnalysisJudged event with verdict.
func judged(v ReleaseView, verdict string) bool {
	for _, e := range v.Events {
		var d struct {
			Verdict string `json:"verdict"`
		}
		if e.Type == release.EventAnalysis && json.Unmarshal(e.Data, &d) == nil && d.Verdict == verdict {
			return true
		}
	}
	return false
}

// checkRoutes reports every service not serving 100% on version.
func checkRoutes(ctx context.Context, api API, version, when string, problem func(string, ...any)) {
	st, err := api.Status(ctx)
	if err != nil {
		problem("%s: status: %v", when, err)
		return
	}
	for _, s := range st.Services {
		if s.Route.Settled().Stable != version || s.Route.Settled().Weight != 0 {
			problem("%s: %s serves %s, want 100%% on %s", when, s.Name, s.Route, version)
		}
	}
}

// followPush pushes a version and follows its release to the end,
// approving gated stages as the demo's approver.
func followPush(ctx context.Context, api interface {
	API
	Decider
}, cfg DemoConfig, req PushRequest) (ReleaseView, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	pr, err := api.Push(ctx, cfg.Pipeline, req)
	if err != nil {
		return ReleaseView{}, fmt.Errorf("push %s: %w", req.Version, err)
	}
	fmt.Fprintf(cfg.Out, "pushed %s → release %s\n", pr.Artifact, pr.ReleaseID)
	return Follow(ctx, api, pr.ReleaseID, cfg.Out, func(ev release.Event) {
		if ev.Type != release.EventApprovalWaiting {
			return
		}
		err := api.Decide(ctx, pr.ReleaseID, true, DecisionRequest{Actor: cfg.Approver, Stage: ev.Stage, Comment: "demo"})
		if err != nil {
			fmt.Fprintf(cfg.Out, "         approval of %s failed: %v\n", ev.Stage, err)
		}
	})
}

// Follow prints a release's events and the services' routes and alarm
// states as they change, one line each, until the release ends; onEvent
// sees every new event. It returns the release as it ended.
func Follow(ctx context.Context, api API, id string, out io.Writer, onEvent func(release.Event)) (ReleaseView, error) {
	var seen int64
	var start time.Time
	lastStatus := ""
	for {
		v, err := api.Release(ctx, id)
		if err != nil {
			return v, err
		}
		if start.IsZero() {
			start = v.Release.CreatedAt
		}
		for _, e := range v.Events {
			if e.Seq <= seen {
				continue
			}
			seen = e.Seq
			if !quiet(e) {
				fmt.Fprintln(out, eventLine(start, e))
			}
			if onEvent != nil {
				onEvent(e)
			}
		}
		if st, err := api.Status(ctx); err == nil {
			if line := statusLine(st); line != lastStatus {
				lastStatus = line
				fmt.Fprintln(out, "         "+line)
			}
		}
		if v.Release.Status.Terminal() {
			fmt.Fprintf(out, "release %s ended %s%s\n", id, v.Release.Status, reasonSuffix(v.Release.Reason))
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("following release %s (still %s): %w", id, v.Release.Status, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + shorten(r, 240)
}

// quiet reports events the live view and compact timelines leave out: lock
// bookkeeping.
func quiet(e release.Event) bool {
	return e.Type == release.EventLockAcquired || e.Type == release.EventLockReleased
}

// shorten cuts s to n runes on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// eventLine renders one event: offset, where, what.
func eventLine(start time.Time, e release.Event) string {
	where := e.Stage
	if e.Wave != "" && e.Wave != e.Stage {
		where += "/" + e.Wave
	}
	target := strings.TrimPrefix(e.Target, "local:")
	msg := e.Message
	if e.Type == release.EventTrafficShifted {
		var d struct {
			Weight    int    `json:"weight"`
			Stable    string `json:"stable"`
			Candidate string `json:"candidate"`
		}
		if json.Unmarshal(e.Data, &d) == nil {
			msg = fmt.Sprintf("%s %3d%% on %s", bar(d.Weight), d.Weight, d.Candidate)
		}
	}
	offset := max(0, e.Time.Sub(start).Seconds())
	return fmt.Sprintf("%7.1fs  %-14s %-12s %-17s %s", offset, where, target, e.Type, shorten(msg, 150))
}

// bar is a 10-cell progress bar for a percentage.
func bar(pct int) string {
	n := max(0, min(10, (pct+5)/10))
	return "[" + strings.Repeat("█", n) + strings.Repeat("░", 10-n) + "]"
}

// statusLine summarizes routes and alarms on one line.
func statusLine(st Status) string {
	var parts []string
	for _, s := range st.Services {
		r := s.Route.Settled()
		if r.Weight == 0 {
			parts = append(parts, fmt.Sprintf("%s=%s", s.Name, r.Stable))
		} else {
			parts = append(parts, fmt.Sprintf("%s=%s/%s@%d%%", s.Name, r.Stable, r.Candidate, r.Weight))
		}
	}
	var names []string
	for n := range st.Alarms {
		names = append(names, n)
	}
	sort.Strings(names)
	var as []string
	for _, n := range names {
		as = append(as, fmt.Sprintf("%s=%s", n, st.Alarms[n]))
	}
	return "routes: " + strings.Join(parts, " ") + " | alarms: " + strings.Join(as, " ")
}

// PrintTimeline prints a release's whole event log with offsets from its
// start.
func PrintTimeline(out io.Writer, v ReleaseView) { printTimeline(out, v, false) }

func printTimeline(out io.Writer, v ReleaseView, compact bool) {
	r := v.Release
	fmt.Fprintf(out, "\n%s %s@%s  %s%s\n", r.Pipeline, r.ID, r.Version, r.Status, reasonSuffix(r.Reason))
	for _, e := range v.Events {
		if compact && quiet(e) {
			continue
		}
		fmt.Fprintln(out, eventLine(r.CreatedAt, e))
	}
}

// EventLine is one event as the timeline prints it, timed from start.
func EventLine(start time.Time, e release.Event) string { return eventLine(start, e) }
