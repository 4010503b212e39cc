package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Scenario is one generated history's script: everything Run does comes
// from it, so the same seed replays the same scenario.
type Scenario struct {
	Seed  uint64
	Start time.Time
	// Spec is the pipeline spec (YAML) the history releases through.
	Spec string
	// Targets are the spec's targets and how the world runs them.
	Targets []TargetSpec
	// Initial is the version every target serves at the start; its faults
	// (only OnRollback ones) make the last good version fail during a
	// restore.
	Initial  string
	InitFail []Fault
	Releases []ReleaseSpec
	// APIFaults make the traffic API fail (shifter and hooks).
	APIFaults []APIFault
	Actions   []Action
	// CrashAtEvents crashes the control plane right after the Nth event
	// (counted over all releases) is stored, for each N listed.
	CrashAtEvents []int
	// Horizon ends the history: a release not terminal by then is a
	// violation.
	Horizon time.Duration
}

// TargetSpec is one target of the spec.
type TargetSpec struct {
	Name, Service, Stage, Wave string
	Alarms                     []string
	// RPS is the target's steady traffic; 0 leaves its alarms without data.
	RPS int
	// AlarmDelay is how long a bad condition lasts before its alarm fires
	// (evaluation periods × period).
	AlarmDelay time.Duration
}

// ReleaseSpec is one push.
type ReleaseSpec struct {
	Version string
	Commit  string
	At      time.Duration // after Start
	// Deliveries is how often the push event arrives (EventBridge is at
	// least once); later deliveries come DupDelay apart.
	Deliveries int
	DupDelay   time.Duration
	Faults     []Fault
	// LoadTestFails makes every load test of this version fail.
	LoadTestFails bool
	// Hooks says what each hook phase does for this version, by stage.
	Hooks []HookBehavior
}

// FaultKind is what goes wrong with a version.
type FaultKind string

// Fault kinds.
const (
	FaultErrorRate    FaultKind = "error-rate"
	FaultLatency      FaultKind = "latency"
	FaultCrash        FaultKind = "crash"
	FaultCrashOnStart FaultKind = "crash-on-start"
)

// Onset is when a fault appears.
type Onset string

// Onsets.
const (
	OnsetStart      Onset = "start"       // from the beginning
	OnsetStep       Onset = "step"        // once the candidate reaches Weight on a target
	OnsetFullDelay  Onset = "full+delay"  // Delay after the candidate reaches 100% (hooks, load test, final bake)
	OnsetOnRollback Onset = "on-rollback" // when traffic is restored onto this version
)

// Fault is one fault of a version.
type Fault struct {
	Kind  FaultKind
	Onset Onset
	// Stage limits the fault to one stage's targets ("" = everywhere).
	Stage  string
	Weight int
	Delay  time.Duration
}

func (f Fault) String() string {
	s := string(f.Kind) + "@" + string(f.Onset)
	switch f.Onset {
	case OnsetStep:
		s += fmt.Sprintf("(%d%%)", f.Weight)
	case OnsetFullDelay:
		s += "(" + f.Delay.String() + ")"
	}
	if f.Stage != "" {
		s += " in " + f.Stage
	}
	return s
}

// HookResult is what a simulated hook does.
type HookResult string

// Hook results.
const (
	HookPass HookResult = "pass"
	HookFail HookResult = "fail"
	HookHang HookResult = "hang" // until the hook's timeout
)

// HookBehavior is a hook's result for one stage and phase.
type HookBehavior struct {
	Stage, Phase string
	Result       HookResult
}

// APIFaultKind is how an AWS API call fails.
type APIFaultKind string

// API fault kinds.
const (
	APIThrottle APIFaultKind = "throttle" // ThrottlingException, nothing applied
	APIServer   APIFaultKind = "5xx"      // InternalFailure, nothing applied
	// APITimeout applies the call and then reports a timeout: the caller
	// cannot tell whether it happened.
	APITimeout APIFaultKind = "timeout"
)

// APIFault fails Count calls of Op ("shift", "verify", "prepare",
// "current", "hook") on Target, from its From-th call (1-based).
type APIFault struct {
	Target, Op  string
	From, Count int
	Kind        APIFaultKind
}

// ActionKind is a person's action.
type ActionKind string

// Actions.
const (
	ActRollback ActionKind = "rollback"
	ActApprove  ActionKind = "approve"
	ActReject   ActionKind = "reject"
	ActUndo     ActionKind = "undo"
)

// Action is a person acting on a release at a time.
type Action struct {
	At      time.Duration
	Kind    ActionKind
	Release int // index into Releases
	Actor   string
}

// Describe is a one-paragraph human summary of the scenario.
func (s *Scenario) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, start %s, horizon %s, %d target(s), initial %s", s.Seed, s.Start.Format(time.RFC3339), s.Horizon, len(s.Targets), s.Initial)
	for _, f := range s.InitFail {
		fmt.Fprintf(&b, " [%s]", f)
	}
	b.WriteString("\n")
	for i, r := range s.Releases {
		fmt.Fprintf(&b, "  release %d: %s at +%s ×%d", i, r.Version, r.At, r.Deliveries)
		for _, f := range r.Faults {
			fmt.Fprintf(&b, " [%s]", f)
		}
		if r.LoadTestFails {
			b.WriteString(" [load test fails]")
		}
		for _, h := range r.Hooks {
			fmt.Fprintf(&b, " [%s %s hook: %s]", h.Stage, h.Phase, h.Result)
		}
		b.WriteString("\n")
	}
	for _, a := range s.APIFaults {
		fmt.Fprintf(&b, "  api: %s %s calls %d..%d %s\n", a.Target, a.Op, a.From, a.From+a.Count-1, a.Kind)
	}
	for _, a := range s.Actions {
		fmt.Fprintf(&b, "  action: %s release %d at +%s by %s\n", a.Kind, a.Release, a.At, a.Actor)
	}
	for _, n := range s.CrashAtEvents {
		fmt.Fprintf(&b, "  crash after event #%d\n", n)
	}
	return b.String()
}

// Generate makes the scenario of a seed. It draws every choice from one
// PCG stream seeded by seed, in a fixed order, so the scenario is a pure
// function of the seed.
func Generate(seed uint64) *Scenario {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x5eed5eed))}
	return g.scenario(seed)
}

type gen struct{ r *rand.Rand }

func (g *gen) n(k int) int              { return g.r.IntN(k) }
func (g *gen) p(prob float64) bool      { return g.r.Float64() < prob }
func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)+1))/time.Second*time.Second
}

type stageShape struct {
	name     string
	approval bool
	windowed bool
	waves    []waveShape
}

type waveShape struct {
	name, deployment, bake, onFailure string
	loadTest                          bool
	targets                           []string
}

func (g *gen) scenario(seed uint64) *Scenario {
	s := &Scenario{Seed: seed, Initial: "v0", Horizon: 20 * 24 * time.Hour}
	// Start on a Monday morning, sometimes just before a window closes.
	s.Start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).Add(g.dur(0, 2*time.Hour))

	mode := g.pick("QUEUED", "SUPERSEDED", "PARALLEL")
	onFailure := g.pick("rollbackWave", "rollbackAllWaves")
	windows := g.p(0.3)
	hooks := ""
	if g.p(0.4) {
		hooks = "hooks:\n"
		if g.p(0.7) {
			hooks += "  preTraffic: { lambda: smoke, timeout: 2m }\n"
		}
		if g.p(0.7) {
			hooks += "  postTraffic: { lambda: verify, timeout: 2m }\n"
		}
		if hooks == "hooks:\n" {
			hooks = ""
		}
	}

	nStages := 1 + g.n(3)
	maxTargets := 1 + g.n(4)
	var stages []stageShape
	total := 0
	for si := 0; si < nStages && total < maxTargets; si++ {
		st := stageShape{name: []string{"beta", "gamma", "prod"}[si]}
		if si == nStages-1 && nStages > 1 {
			st.name = "prod"
		}
		st.approval = si > 0 && g.p(0.35)
		st.windowed = windows && (st.name == "prod" || g.p(0.3))
		nWaves := 1 + g.n(2)
		for wi := 0; wi < nWaves && total < maxTargets; wi++ {
			w := waveShape{name: fmt.Sprintf("w%d", wi+1)}
			w.deployment = g.pick("AllAtOnce", "Canary10Percent5Minutes", "{ type: canary, percent: 25, interval: 2m }",
				"{ type: linear, percent: 50, interval: 3m }", "Linear10PercentEvery1Minute")
			w.bake = g.pick("0", "2m", "10m", "30m")
			if g.p(0.15) {
				w.bake = "{ duration: 5m, minRequests: 50, maxExtension: 10m }"
			}
			if g.p(0.2) {
				w.onFailure = g.pick("rollbackWave", "rollbackAllWaves")
			}
			w.loadTest = g.p(0.2)
			nT := 1 + g.n(2)
			for ti := 0; ti < nT && total < maxTargets; ti++ {
				svc := fmt.Sprintf("svc%d", total+1)
				w.targets = append(w.targets, svc)
				total++
				s.Targets = append(s.Targets, TargetSpec{
					Name: "local:" + svc, Service: svc, Stage: st.name, Wave: w.name,
					Alarms: []string{svc + "-5xx", svc + "-p99"},
					RPS:    []int{20, 20, 20, 5, 0}[g.n(5)], AlarmDelay: time.Duration(1+g.n(3)) * time.Minute,
				})
			}
			st.waves = append(st.waves, w)
		}
		stages = append(stages, st)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: shipwave/v1\npipeline: sim\nsource: { repository: sim-app, branch: main }\nexecutionMode: %s\n", mode)
	b.WriteString("triggers:\n  - push: { branches: [main] }\n")
	fmt.Fprintf(&b, "onFailure: %s\napprovers: [alice]\n", onFailure)
	if windows {
		b.WriteString("deployWindows:\n  - { days: Mon-Fri, hours: \"08:00-10:00\", timezone: UTC }\n")
	}
	b.WriteString(hooks)
	b.WriteString("stages:\n")
	for _, st := range stages {
		fmt.Fprintf(&b, "  - name: %s\n    windowed: %v\n", st.name, st.windowed)
		if st.approval {
			fmt.Fprintf(&b, "    approval: { approvers: [alice], timeout: %s }\n", g.pick("30m", "2h", "1d"))
		}
		b.WriteString("    waves:\n")
		for _, w := range st.waves {
			fmt.Fprintf(&b, "      - name: %s\n        deployment: %s\n        bake: %s\n", w.name, w.deployment, w.bake)
			if w.onFailure != "" {
				fmt.Fprintf(&b, "        onFailure: %s\n", w.onFailure)
			}
			if w.loadTest {
				b.WriteString("        loadTest: { tasks: 2, rps: 20, holdFor: 2m, criteria: { errorRate: 1% } }\n")
			}
			b.WriteString("        targets:\n")
			for _, t := range w.targets {
				fmt.Fprintf(&b, "          - { type: local, service: %s, alarms: [%s-5xx, %s-p99] }\n", t, t, t)
			}
		}
	}
	s.Spec = b.String()

	stageNames := make([]string, len(stages))
	for i, st := range stages {
		stageNames[i] = st.name
	}
	if g.p(0.1) {
		s.InitFail = []Fault{{Kind: FaultCrash, Onset: OnsetOnRollback}}
	}
	nRel := 1 + g.n(3)
	at := time.Duration(0)
	for i := 0; i < nRel; i++ {
		r := ReleaseSpec{Version: fmt.Sprintf("v%d", i+1), Commit: commitOf(seed, i), At: at, Deliveries: 1 + g.n(3), DupDelay: g.dur(0, 2*time.Minute)}
		at += []time.Duration{0, time.Second, 3 * time.Minute, 20 * time.Minute, 2 * time.Hour}[g.n(5)]
		if g.p(0.6) {
			nf := 1 + g.n(2)
			for j := 0; j < nf; j++ {
				f := Fault{Kind: FaultKind(g.pick(string(FaultErrorRate), string(FaultLatency), string(FaultCrash), string(FaultCrashOnStart)))}
				f.Onset = Onset(g.pick(string(OnsetStart), string(OnsetStep), string(OnsetFullDelay), string(OnsetOnRollback)))
				if f.Kind == FaultCrashOnStart {
					f.Onset = OnsetStart
				}
				switch f.Onset {
				case OnsetStep:
					f.Weight = []int{10, 25, 50, 100}[g.n(4)]
				case OnsetFullDelay:
					f.Delay = g.dur(0, 40*time.Minute)
				}
				if g.p(0.3) {
					f.Stage = stageNames[g.n(len(stageNames))]
				}
				r.Faults = append(r.Faults, f)
			}
		}
		r.LoadTestFails = g.p(0.1)
		if hooks != "" && g.p(0.3) {
			r.Hooks = append(r.Hooks, HookBehavior{Stage: stageNames[g.n(len(stageNames))], Phase: g.pick("preTraffic", "postTraffic"),
				Result: HookResult(g.pick(string(HookFail), string(HookHang)))})
		}
		s.Releases = append(s.Releases, r)
	}
	if g.p(0.35) {
		nf := 1 + g.n(2)
		for j := 0; j < nf; j++ {
			t := s.Targets[g.n(len(s.Targets))]
			s.APIFaults = append(s.APIFaults, APIFault{Target: t.Name, Op: g.pick("shift", "shift", "verify", "prepare", "current", "hook"),
				From: 1 + g.n(4), Count: 1 + g.n(3), Kind: APIFaultKind(g.pick(string(APIThrottle), string(APIServer), string(APITimeout)))})
		}
	}
	for si, st := range stages {
		if !st.approval {
			continue
		}
		_ = si
		for ri := range s.Releases {
			switch g.n(4) {
			case 0: // nobody answers: the approval times out
			case 1:
				s.Actions = append(s.Actions, Action{At: s.Releases[ri].At + g.dur(time.Minute, 3*time.Hour), Kind: ActReject, Release: ri, Actor: "alice"})
			default:
				actor := "alice"
				if g.p(0.1) {
					actor = "mallory"
				}
				s.Actions = append(s.Actions, Action{At: s.Releases[ri].At + g.dur(time.Minute, 3*time.Hour), Kind: ActApprove, Release: ri, Actor: actor})
			}
		}
	}
	if g.p(0.25) {
		ri := g.n(len(s.Releases))
		s.Actions = append(s.Actions, Action{At: s.Releases[ri].At + g.dur(0, 90*time.Minute), Kind: ActRollback, Release: ri, Actor: "bob"})
	}
	if g.p(0.15) {
		ri := g.n(len(s.Releases))
		s.Actions = append(s.Actions, Action{At: s.Releases[ri].At + g.dur(time.Minute, 4*time.Hour), Kind: ActUndo, Release: ri, Actor: "carol"})
	}
	if g.p(0.25) {
		s.CrashAtEvents = append(s.CrashAtEvents, 3+g.n(60))
		if g.p(0.2) {
			s.CrashAtEvents = append(s.CrashAtEvents, s.CrashAtEvents[0]+1+g.n(30))
		}
	}
	return s
}

// commitOf is a 40-hex-digit commit id for release i of a seed.
func commitOf(seed uint64, i int) string {
	return fmt.Sprintf("%016x%016x%08x", seed, uint64(i)*0x9e3779b97f4a7c15+1, i)
}

// Features names what a scenario exercises, for the coverage summary a run
// prints: execution mode, windows, approvals, hooks, load tests, faults by
// kind and moment, API faults, actions, crashes, concurrent releases.
func Features(s *Scenario) []string {
	var out []string
	add := func(cond bool, name string) {
		if cond && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, m := range []string{"QUEUED", "SUPERSEDED", "PARALLEL"} {
		add(strings.Contains(s.Spec, "executionMode: "+m), "mode "+m)
	}
	add(strings.Contains(s.Spec, "deployWindows"), "deploy windows")
	add(strings.Contains(s.Spec, "approval:"), "approvals")
	add(strings.Contains(s.Spec, "Traffic: {"), "hooks")
	add(strings.Contains(s.Spec, "loadTest:"), "load tests")
	add(len(s.Releases) > 1, "concurrent releases")
	add(len(s.InitFail) > 0, "last good fails on rollback")
	for _, r := range s.Releases {
		for _, f := range r.Faults {
			add(true, "fault "+string(f.Kind))
			add(true, "onset "+string(f.Onset))
		}
		for _, h := range r.Hooks {
			add(true, "hook "+string(h.Result))
		}
		add(r.LoadTestFails, "load test fails")
		add(r.Deliveries > 1, "duplicate deliveries")
	}
	for _, a := range s.APIFaults {
		add(true, "api "+string(a.Kind))
	}
	for _, a := range s.Actions {
		add(true, "action "+string(a.Kind))
	}
	add(len(s.CrashAtEvents) > 0, "crash")
	return out
}
