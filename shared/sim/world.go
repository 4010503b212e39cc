package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/traffic"
)

// world is the simulated outside world: each target's live traffic split
// and the health of every version on it, the alarms that follow them in
// virtual time, hooks and load tests. It is the harness's own bookkeeping
// of what really happened to traffic, which the checker trusts instead of
// the store's view.
type world struct {
	sc  *Scenario
	clk *states.VirtualClock
	// onAlarm delivers an alarm state change (set by Run; called without
	// the world's lock, from an activity).
	onAlarm func(name string, from, to alarms.State)
	// check is called for each shift, before it is applied, with the world
	// locked; it returns the call-time violations (set by Run).
	check func(now time.Time, t *tworld, s traffic.Split) []Violation

	mu            sync.Mutex
	done          chan struct{}
	targets       map[string]*tworld
	byService     map[string]*tworld
	versions      map[string]*vworld // by version name (commit, or Initial)
	alarmState    map[string]*aworld
	calls         map[string]int // target + " " + op → calls so far
	log           []string
	shifts        []shiftRec
	restores      []shiftRec
	promotions    []promoRec
	hookPassed    map[string]bool // version|target|phase
	callViol      []Violation
	pendingAlarms []alarmChange
}

type tworld struct {
	spec  TargetSpec
	split traffic.Split
	// restoring is set from a restore's first attempt until a shift
	// succeeds: a partial split is then being taken back, not left alone.
	restoring bool
	prepared  map[string]bool
	history   []splitAt
}

type splitAt struct {
	at    time.Time
	split traffic.Split
}

type vworld struct {
	name    string
	release int // -1 for the initial version
	faults  []Fault
	// onset[target][i] is when fault i appeared on target (zero: not yet).
	onset map[string][]time.Time
	hooks []HookBehavior
	ltErr bool
}

type aworld struct {
	name, target string
	kind         string // "5xx" or "p99"
	state        alarms.State
	pendingTo    alarms.State
	pending      *wtimer
}

type shiftRec struct {
	At     time.Time
	Target string
	From   traffic.Split
	To     traffic.Split
}

type promoRec struct {
	At      time.Time
	Target  string
	Version string
	Release int
}

func newWorld(sc *Scenario, clk *states.VirtualClock) *world {
	w := &world{
		sc: sc, clk: clk, done: make(chan struct{}),
		targets: map[string]*tworld{}, byService: map[string]*tworld{}, versions: map[string]*vworld{},
		alarmState: map[string]*aworld{}, calls: map[string]int{}, hookPassed: map[string]bool{},
	}
	w.versions[sc.Initial] = &vworld{name: sc.Initial, release: -1, faults: sc.InitFail, onset: map[string][]time.Time{}}
	for i, r := range sc.Releases {
		w.versions[r.Commit] = &vworld{name: r.Commit, release: i, faults: r.Faults, onset: map[string][]time.Time{}, hooks: r.Hooks, ltErr: r.LoadTestFails}
	}
	for _, ts := range sc.Targets {
		t := &tworld{spec: ts, split: traffic.Split{Stable: sc.Initial}, prepared: map[string]bool{sc.Initial: true}}
		t.history = []splitAt{{at: sc.Start, split: t.split}}
		w.targets[ts.Name], w.byService[ts.Service] = t, t
		for _, a := range ts.Alarms {
			kind := a[strings.LastIndex(a, "-")+1:]
			st := alarms.StateOK
			if ts.RPS == 0 {
				st = alarms.StateInsufficientData
			}
			w.alarmState[a] = &aworld{name: a, target: ts.Name, kind: kind, state: st}
		}
	}
	for _, v := range w.versions {
		for _, t := range w.targets {
			v.onset[t.spec.Name] = make([]time.Time, len(v.faults))
			for i, f := range v.faults {
				if f.Onset == OnsetStart && w.inScope(f, t) {
					v.onset[t.spec.Name][i] = sc.Start
				}
			}
		}
	}
	return w
}

// display names a version for people: v1, v2 … (or the initial version).
func (w *world) display(version string) string {
	if v, ok := w.versions[version]; ok && v.release >= 0 {
		return w.sc.Releases[v.release].Version
	}
	if version == "" {
		return "-"
	}
	return version
}

func (w *world) splitString(s traffic.Split) string {
	switch {
	case s.Weight == 0:
		return "100% " + w.display(s.Stable)
	case s.Weight == 100:
		return "100% " + w.display(s.Candidate)
	}
	return fmt.Sprintf("%d%% %s / %d%% %s", s.Weight, w.display(s.Candidate), 100-s.Weight, w.display(s.Stable))
}

func (w *world) logf(format string, args ...any) {
	w.log = append(w.log, fmt.Sprintf("%s  ", w.clk.Now().Sub(w.sc.Start).Round(time.Millisecond))+fmt.Sprintf(format, args...))
}

func (w *world) inScope(f Fault, t *tworld) bool { return f.Stage == "" || f.Stage == t.spec.Stage }

// active reports whether version v has an appeared fault of one of kinds on t.
func (w *world) active(v string, t *tworld, kinds ...FaultKind) bool {
	vw, ok := w.versions[v]
	if !ok {
		return false
	}
	for i, f := range vw.faults {
		if !vw.onset[t.spec.Name][i].IsZero() && slices.Contains(kinds, f.Kind) {
			return true
		}
	}
	return false
}

// crashedSinceLocked is when version's instances on t crashed (the first
// crash fault's onset), zero if they have not.
func (w *world) crashedSinceLocked(t *tworld, version string) time.Time {
	var at time.Time
	vw, ok := w.versions[version]
	if !ok {
		return at
	}
	for i, f := range vw.faults {
		on := vw.onset[t.spec.Name][i]
		if on.IsZero() || (f.Kind != FaultCrash && f.Kind != FaultCrashOnStart) {
			continue
		}
		if at.IsZero() || on.Before(at) {
			at = on
		}
	}
	return at
}

// servingLocked reports whether version serves on t: it was started there
// and its instances are alive.
func (w *world) servingLocked(t *tworld, version string) error {
	switch {
	case !t.prepared[version]:
		return release.Errorf(release.ErrNotFound, "%s has no instances of %s", t.spec.Name, w.display(version))
	case w.active(version, t, FaultCrash, FaultCrashOnStart):
		return release.Errorf(release.ErrConflict, "instances of %s on %s have crashed", w.display(version), t.spec.Name)
	}
	return nil
}

// liveVersion is the version holding all of t's traffic, or "" when split.
func liveVersion(s traffic.Split) string {
	switch s.Weight {
	case 0:
		return s.Stable
	case 100:
		return s.Candidate
	}
	return ""
}

func (w *world) target(t release.Target) (*tworld, error) {
	tw, ok := w.targets[t.Name]
	if !ok {
		return nil, release.Errorf(release.ErrNotFound, "sim: no target %s", t.Name)
	}
	return tw, nil
}

// apiFault returns the injected failure of this call, if any, and whether
// it strikes after the call took effect.
func (w *world) apiFault(target, op string) (error, bool) {
	key := target + " " + op
	w.calls[key]++
	n := w.calls[key]
	for _, f := range w.sc.APIFaults {
		if f.Target != target || f.Op != op || n < f.From || n >= f.From+f.Count {
			continue
		}
		w.logf("api fault: %s %s call %d: %s", target, op, n, f.Kind)
		switch f.Kind {
		case APIThrottle:
			return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient}, false
		case APIServer:
			return &smithy.GenericAPIError{Code: "InternalFailure", Message: "internal error", Fault: smithy.FaultServer}, false
		case APITimeout:
			return fmt.Errorf("%s %s: %w", op, target, context.DeadlineExceeded), true
		}
	}
	return nil, false
}

// Prepare starts the artifact's instances on the target.
func (w *world) Prepare(ctx context.Context, t release.Target, artifact string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	tw, err := w.target(t)
	if err != nil {
		return "", err
	}
	ferr, after := w.apiFault(t.Name, "prepare")
	if ferr != nil && !after {
		return "", ferr
	}
	if w.active(artifact, tw, FaultCrashOnStart) {
		w.logf("%s: instances of %s exit on start", t.Name, w.display(artifact))
		return "", fmt.Errorf("prepare %s on %s: every instance exited on start", w.display(artifact), t.Name)
	}
	tw.prepared[artifact] = true
	w.logf("%s: %s started (not serving traffic yet)", t.Name, w.display(artifact))
	return artifact, ferr
}

// Current returns the live split.
func (w *world) Current(ctx context.Context, t release.Target) (traffic.Split, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	tw, err := w.target(t)
	if err != nil {
		return traffic.Split{}, err
	}
	if ferr, _ := w.apiFault(t.Name, "current"); ferr != nil {
		return traffic.Split{}, ferr
	}
	return tw.split.Settled(), nil
}

// Shift applies a split; the world keeps it in its Settled form, as the
// real shifters report it.
func (w *world) Shift(ctx context.Context, t release.Target, s traffic.Split) error {
	if err := s.Validate(); err != nil {
		return err
	}
	w.mu.Lock()
	tw, err := w.target(t)
	if err != nil {
		w.mu.Unlock()
		return err
	}
	if s.Weight == 0 {
		tw.restoring = true
	}
	ferr, after := w.apiFault(t.Name, "shift")
	if ferr != nil && !after {
		w.mu.Unlock()
		return ferr
	}
	settled := s.Settled()
	for _, v := range []string{settled.Stable, settled.Candidate} {
		if v != "" && !tw.prepared[v] {
			w.mu.Unlock()
			return release.Errorf(release.ErrInvalid, "shift %s: version %s has no instances", t.Name, w.display(v))
		}
	}
	now := w.clk.Now()
	if w.check != nil {
		w.callViol = append(w.callViol, w.check(now, tw, s)...)
	}
	from := tw.split
	rec := shiftRec{At: now, Target: t.Name, From: from, To: s}
	w.shifts = append(w.shifts, rec)
	tw.split, tw.restoring = settled, false
	tw.history = append(tw.history, splitAt{at: now, split: settled})
	w.logf("%s: %s → %s", t.Name, w.splitString(from), w.splitString(settled))
	if s.Weight == 0 && !from.Same(s) {
		w.restores = append(w.restores, rec)
		w.onsetLocked(tw, s.Stable, OnsetOnRollback, 0)
	}
	if s.Weight > 0 {
		w.onsetLocked(tw, s.Candidate, OnsetStep, s.Weight)
		if s.Weight == 100 {
			w.onsetLocked(tw, s.Candidate, OnsetFullDelay, 0)
		}
	}
	w.recomputeLocked()
	w.mu.Unlock()
	return ferr
}

// share is the percentage of traffic a settled split sends to version.
func share(s traffic.Split, version string) int {
	switch {
	case s.Weight > 0 && s.Candidate == version:
		return s.Weight
	case s.Stable == version:
		return 100 - s.Weight
	}
	return 0
}

// onsetLocked makes faults of version appear on t for the given onset.
func (w *world) onsetLocked(t *tworld, version string, on Onset, weight int) {
	vw, ok := w.versions[version]
	if !ok {
		return
	}
	for i, f := range vw.faults {
		if f.Onset != on || !w.inScope(f, t) || !vw.onset[t.spec.Name][i].IsZero() {
			continue
		}
		switch on {
		case OnsetStep:
			if weight < f.Weight {
				continue
			}
		case OnsetFullDelay:
			at := w.clk.Now().Add(f.Delay)
			i, name := i, t.spec.Name
			w.after(at, func() {
				w.mu.Lock()
				if vw.onset[name][i].IsZero() {
					vw.onset[name][i] = w.clk.Now()
					w.logf("%s: fault %s of %s appears", name, f, w.display(version))
					w.recomputeLocked()
				}
				w.mu.Unlock()
				w.flushAlarms()
			})
			continue
		}
		vw.onset[t.spec.Name][i] = w.clk.Now()
		w.logf("%s: fault %s of %s appears", t.spec.Name, f, w.display(version))
	}
}

// Verify reads the live split back and compares it with s.
func (w *world) Verify(ctx context.Context, t release.Target, s traffic.Split) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	tw, err := w.target(t)
	if err != nil {
		return err
	}
	if ferr, _ := w.apiFault(t.Name, "verify"); ferr != nil {
		return ferr
	}
	if !tw.split.Same(s) {
		return traffic.Mismatch(t.Name, tw.split, s)
	}
	return nil
}

// Serving returns nil when version's instances on t are alive and pass
// their health probe.
func (w *world) Serving(ctx context.Context, t release.Target, version string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	tw, err := w.target(t)
	if err != nil {
		return err
	}
	if ferr, _ := w.apiFault(t.Name, "verify"); ferr != nil {
		return ferr
	}
	return w.servingLocked(tw, version)
}

// States reports alarm states (control.Alarms).
func (w *world) States(ctx context.Context, names []string) (map[string]alarms.State, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]alarms.State{}
	for _, n := range names {
		if a, ok := w.alarmState[n]; ok {
			out[n] = a.state
		}
	}
	return out, nil
}

// badLocked reports whether alarm a's condition holds now: a version with
// traffic on its target has a fault this alarm sees.
func (w *world) badLocked(a *aworld) bool {
	t := w.targets[a.target]
	kinds := []FaultKind{FaultErrorRate, FaultCrash}
	if a.kind == "p99" {
		kinds = []FaultKind{FaultLatency}
	}
	s := t.split
	return s.Weight < 100 && w.active(s.Stable, t, kinds...) || s.Weight > 0 && w.active(s.Candidate, t, kinds...)
}

// recomputeLocked schedules alarm transitions for conditions that changed.
func (w *world) recomputeLocked() {
	for _, name := range w.alarmNames() {
		a := w.alarmState[name]
		t := w.targets[a.target]
		if t.spec.RPS == 0 {
			continue // no data, ever
		}
		want := alarms.StateOK
		if w.badLocked(a) {
			want = alarms.StateAlarm
		}
		switch {
		case want == a.state:
			if a.pending != nil {
				a.pending.stop()
				a.pending, a.pendingTo = nil, ""
			}
		case a.pending != nil && a.pendingTo == want:
		default:
			if a.pending != nil {
				a.pending.stop()
			}
			a.pendingTo = want
			var wt *wtimer
			wt = w.after(w.clk.Now().Add(t.spec.AlarmDelay), func() {
				w.mu.Lock()
				if a.pending != wt {
					w.mu.Unlock()
					return
				}
				a.pending, a.pendingTo = nil, ""
				from := a.state
				a.state = want
				w.logf("alarm %s: %s → %s", a.name, from, want)
				w.pendingAlarms = append(w.pendingAlarms, alarmChange{a.name, from, want})
				w.mu.Unlock()
				w.flushAlarms()
			})
			a.pending = wt
		}
	}
}

type alarmChange struct {
	name     string
	from, to alarms.State
}

func (w *world) alarmNames() []string {
	names := make([]string, 0, len(w.alarmState))
	for n := range w.alarmState {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// flushAlarms delivers queued alarm changes, outside the lock.
func (w *world) flushAlarms() {
	w.mu.Lock()
	q := w.pendingAlarms
	w.pendingAlarms = nil
	w.mu.Unlock()
	for _, c := range q {
		if w.onAlarm != nil {
			w.onAlarm(c.name, c.from, c.to)
		}
	}
}

// Run runs a hook (control.Hooks).
func (w *world) Run(ctx context.Context, h release.Hook, inv hooks.Invocation) error {
	w.mu.Lock()
	tw, ok := w.targets[inv.Target]
	if !ok {
		w.mu.Unlock()
		return fmt.Errorf("hook: no target %s", inv.Target)
	}
	if ferr, _ := w.apiFault(inv.Target, "hook"); ferr != nil {
		w.mu.Unlock()
		return ferr
	}
	version := inv.Candidate
	if version == "" {
		version = inv.Version
	}
	result := HookPass
	if vw, ok := w.versions[version]; ok {
		for _, hb := range vw.hooks {
			if hb.Stage == inv.Stage && hb.Phase == string(inv.Phase) {
				result = hb.Result
			}
		}
	}
	// A post-traffic hook also fails when the candidate is visibly broken.
	if result == HookPass && inv.Phase == hooks.PostTraffic && w.active(version, tw, FaultCrash, FaultErrorRate) {
		result = HookFail
	}
	w.logf("%s: %s hook of %s: %s", inv.Target, inv.Phase, w.display(version), result)
	w.mu.Unlock()
	switch result {
	case HookFail:
		return errors.New("hook answered failure")
	case HookHang:
		timeout := h.Timeout
		if timeout <= 0 {
			timeout = 5 * time.Minute
		}
		if !sleep(ctx, w.clk, w.clk.Now().Add(timeout)) {
			return ctx.Err()
		}
		return fmt.Errorf("hook did not answer within %s", timeout)
	}
	w.mu.Lock()
	w.hookPassed[version+"|"+inv.Target+"|"+string(inv.Phase)] = true
	w.mu.Unlock()
	return nil
}

// CandidateRequests counts requests the candidate served since a time
// (control.Requests): the target's rate times the candidate's share.
func (w *world) CandidateRequests(ctx context.Context, t release.Target, candidate string, since time.Time) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	tw, err := w.target(t)
	if err != nil {
		return 0, err
	}
	now := w.clk.Now()
	var total float64
	for i, h := range tw.history {
		end := now
		if i+1 < len(tw.history) {
			end = tw.history[i+1].at
		}
		start := h.at
		if start.Before(since) {
			start = since
		}
		if !end.After(start) {
			continue
		}
		total += float64(share(h.split, candidate)) / 100 * float64(tw.spec.RPS) * end.Sub(start).Seconds()
	}
	return int64(total), nil
}

// loadTestPasses judges a load test of version on target now.
func (w *world) loadTestPasses(target, version string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	tw, ok := w.targets[target]
	vw := w.versions[version]
	pass := ok && !(vw != nil && vw.ltErr) && !w.active(version, tw, FaultCrash, FaultErrorRate, FaultLatency)
	w.logf("%s: load test of %s: passed=%v", target, w.display(version), pass)
	return pass
}

// wtimer is a world event at a virtual time.
type wtimer struct {
	t      interface{ Stop() bool }
	cancel chan struct{}
}

// after runs fn as an activity when the virtual time reaches at, unless
// stopped first or the history ends. fn runs without the world's lock.
func (w *world) after(at time.Time, fn func()) *wtimer {
	t := w.clk.NewTimer(at)
	wt := &wtimer{t: t, cancel: make(chan struct{})}
	go func() {
		select {
		case <-t.C():
			select {
			case <-w.done:
				return
			default:
			}
			fn()
			w.clk.Park()
		case <-wt.cancel:
		case <-w.done:
		}
	}()
	return wt
}

func (wt *wtimer) stop() {
	if !wt.t.Stop() {
		close(wt.cancel)
	}
}
