package spec

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipwave/shipwave/shared/release"
)

var (
	stageFields = []string{"name", "approval", "windowed", "targets", "waves", "deployment", "bake", "alarms", "hooks", "loadTest", "onFailure"}
	waveFields  = []string{"name", "targets", "deployment", "bake", "alarms", "hooks", "loadTest", "onFailure"}
)

// waveSettings are the fields a stage sets as defaults for its waves, and
// the pipeline for every stage.
type waveSettings struct {
	deployment release.Deployment
	bake       release.Bake
	alarms     []string
	hooks      release.Hooks
	loadTest   *release.LoadTest
	onFailure  release.FailureMode
}

// settings reads the wave settings present in o, starting from inherit.
func (d *decoder) settings(o *object, path string, inherit waveSettings) waveSettings {
	s := inherit
	if v := o.get("deployment"); v != nil {
		if dep, ok := d.deployment(v, join(path, "deployment")); ok {
			s.deployment = dep
		}
	}
	if v := o.get("bake"); v != nil {
		s.bake = d.bake(v, join(path, "bake"), inherit.bake)
	}
	if o.has("alarms") {
		s.alarms = d.names(o.get("alarms"), join(path, "alarms"))
	}
	s.hooks = d.hooks(o.get("hooks"), join(path, "hooks"), inherit.hooks)
	if v := o.get("loadTest"); v != nil {
		s.loadTest = d.loadTest(v, join(path, "loadTest"))
	}
	if v := o.get("onFailure"); v != nil {
		s.onFailure = d.onFailure(v, join(path, "onFailure"))
	}
	return s
}

// isProduction reports whether a stage name marks production: one of its
// dash-, dot- or underscore-separated words is "prod" or "production".
func isProduction(name string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if w == "prod" || w == "production" {
			return true
		}
	}
	return false
}

func (d *decoder) stages(n *yaml.Node, path string, p *release.Pipeline) []release.Stage {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.addf(n, path, "needs at least one stage")
		return nil
	}
	stageNames := map[string]string{}
	targetNames := map[string]string{}
	var out []release.Stage
	for i, it := range items {
		sp := index(path, i)
		o := d.object(it, sp, stageFields...)
		if o == nil {
			continue
		}
		var st release.Stage
		if d.required(o, "name") {
			st.Name = d.name(o.get("name"), join(sp, "name"))
			if first, dup := stageNames[st.Name]; dup && st.Name != "" {
				d.addf(o.get("name"), join(sp, "name"), "stage %q is already defined at %s", st.Name, first)
			}
			stageNames[st.Name] = sp
		}
		if v := o.get("approval"); v != nil {
			st.Approval = d.approval(v, join(sp, "approval"), p.Approvers)
		}
		st.Windowed = isProduction(st.Name)
		if v := o.get("windowed"); v != nil {
			st.Windowed, _ = d.boolean(v, join(sp, "windowed"))
		}
		inherit := waveSettings{
			deployment: release.Deployment{Name: "AllAtOnce", Type: release.ShiftAllAtOnce},
			bake:       release.Bake{Duration: DefaultBake, OnInsufficientData: DefaultOnInsufficient},
			alarms:     p.Alarms,
			hooks:      p.Hooks,
			onFailure:  p.OnFailure,
		}
		set := d.settings(o, sp, inherit)
		tg, wv := o.get("targets"), o.get("waves")
		switch {
		case tg != nil && wv != nil:
			d.addf(o.keys["waves"], sp, "set either targets (one wave) or waves, not both")
		case wv != nil:
			st.Waves = d.waves(wv, join(sp, "waves"), set, targetNames)
		case o.has("targets"):
			w := d.wave(nil, o, sp, st.Name, set)
			w.Targets = d.targets(tg, o.at("targets"), join(sp, "targets"), targetNames)
			d.analysisSources(w, o.at("deployment"), join(sp, "deployment"))
			st.Waves = []release.Wave{w}
		default:
			d.addf(o.n, join(sp, "targets"), "a stage needs targets (one implicit wave) or waves")
		}
		out = append(out, st)
	}
	return out
}

func (d *decoder) waves(n *yaml.Node, path string, inherit waveSettings, targetNames map[string]string) []release.Wave {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.addf(n, path, "needs at least one wave")
		return nil
	}
	names := map[string]string{}
	var out []release.Wave
	for i, it := range items {
		wp := index(path, i)
		o := d.object(it, wp, waveFields...)
		if o == nil {
			continue
		}
		name := fmt.Sprintf("wave-%d", i+1)
		if v := o.get("name"); v != nil {
			name = d.name(v, join(wp, "name"))
		}
		if first, dup := names[name]; dup && name != "" {
			d.addf(o.at("name"), join(wp, "name"), "wave %q is already defined at %s", name, first)
		}
		names[name] = wp
		w := d.wave(o, o, wp, name, inherit)
		w.Targets = d.targets(o.get("targets"), o.at("targets"), join(wp, "targets"), targetNames)
		d.analysisSources(w, o.at("deployment"), join(wp, "deployment"))
		out = append(out, w)
	}
	return out
}

// wave builds a wave from its own settings (o is nil for a stage's implicit
// wave) over the inherited ones, and checks that its plan compiles; at is the
// mapping to blame when it does not.
func (d *decoder) wave(o, at *object, path, name string, inherit waveSettings) release.Wave {
	set := inherit
	if o != nil {
		set = d.settings(o, path, inherit)
	}
	w := release.Wave{
		Name:       name,
		Deployment: set.deployment,
		Bake:       set.bake,
		Alarms:     set.alarms,
		Hooks:      set.hooks,
		LoadTest:   set.loadTest,
		OnFailure:  set.onFailure,
	}
	if w.Deployment.Type == release.ShiftSteps {
		// A final step without bake or pause bakes for the wave's bake.
		steps := append([]release.Step(nil), w.Deployment.Steps...)
		for i := range steps {
			if steps[i].Bake == unsetBake {
				steps[i].Bake = w.Bake.Duration
			}
		}
		w.Deployment.Steps = steps
		if len(steps) == 0 {
			return w // the problem is already recorded
		}
	}
	if _, err := w.Deployment.Compile(w.Bake.Duration); err != nil {
		d.addf(at.at("deployment"), join(path, "deployment"), "%v", err)
	}
	return w
}

var (
	targetFields = []string{"type", "name", "region", "function", "alias", "cluster", "service",
		"listenerArn", "ruleArn", "testListenerArn", "blueTargetGroup", "greenTargetGroup", "instances", "alarms"}
	targetTypes = []string{string(release.TargetLambdaAlias), string(release.TargetECSBlueGreen), string(release.TargetLocal)}
	// targetAllows lists, per type, the fields that apply besides type,
	// name and alarms; required ones first, as counted by targetRequires.
	targetAllows = map[release.TargetType][]string{
		release.TargetLambdaAlias:  {"function", "alias", "region"},
		release.TargetECSBlueGreen: {"cluster", "service", "listenerArn", "blueTargetGroup", "greenTargetGroup", "ruleArn", "testListenerArn", "region"},
		release.TargetLocal:        {"service", "instances"},
	}
	targetRequires = map[release.TargetType]int{
		release.TargetLambdaAlias:  1,
		release.TargetECSBlueGreen: 5,
		release.TargetLocal:        1,
	}
	targetNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:/@._-]{0,199}$`)
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	aliasPattern      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// targets reads a wave's targets. blame is where to point when there are
// none. Names must be unique across the pipeline (seen).
func (d *decoder) targets(n, blame *yaml.Node, path string, seen map[string]string) []release.Target {
	if n == nil {
		d.addf(blame, path, "a wave needs at least one target")
		return nil
	}
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.addf(n, path, "a wave needs at least one target")
		return nil
	}
	var out []release.Target
	for i, it := range items {
		tp := index(path, i)
		o := d.object(it, tp, targetFields...)
		if o == nil {
			continue
		}
		if !d.required(o, "type") {
			continue
		}
		typ, ok := d.enum(o.get("type"), join(tp, "type"), targetTypes...)
		if !ok {
			continue
		}
		t := release.Target{Type: release.TargetType(typ)}
		allowed := targetAllows[t.Type]
		applies := map[string]bool{"type": true, "name": true, "alarms": true}
		for _, f := range allowed {
			applies[f] = true
		}
		for _, f := range targetFields {
			if o.has(f) && !applies[f] {
				d.addf(o.keys[f], join(tp, f), "does not apply to %s targets", typ)
			}
		}
		complete := true
		for _, f := range allowed[:targetRequires[t.Type]] {
			if o.get(f) == nil {
				d.addf(o.at(f), join(tp, f), "is required for %s targets", typ)
				complete = false
			}
		}
		field := func(f string) string {
			if v := o.get(f); v != nil && applies[f] {
				s, _ := d.str(v, join(tp, f))
				return s
			}
			return ""
		}
		t.Function, t.Alias, t.Region = field("function"), field("alias"), field("region")
		t.Cluster, t.Service = field("cluster"), field("service")
		t.ListenerARN, t.RuleARN, t.TestListenerARN = field("listenerArn"), field("ruleArn"), field("testListenerArn")
		t.BlueTargetGroup, t.GreenTargetGroup = field("blueTargetGroup"), field("greenTargetGroup")
		if t.Region != "" && !regionPattern.MatchString(t.Region) {
			d.addf(o.get("region"), join(tp, "region"), "%q is not an AWS region such as us-east-1", t.Region)
		}
		for _, f := range []string{"listenerArn", "ruleArn", "testListenerArn"} {
			if s := field(f); s != "" && !strings.HasPrefix(s, "arn:") {
				d.addf(o.get(f), join(tp, f), "%q is not an ARN (arn:aws:elasticloadbalancing:…)", s)
			}
		}
		t.Alarms = d.names(o.get("alarms"), join(tp, "alarms"))
		switch t.Type {
		case release.TargetLambdaAlias:
			if t.Alias == "" && o.get("alias") == nil {
				t.Alias = DefaultAlias
			}
			if t.Alias != "" && !aliasPattern.MatchString(t.Alias) {
				d.addf(o.get("alias"), join(tp, "alias"), "%q is not a Lambda alias name (letters, digits, - and _)", t.Alias)
			}
			t.Name = "lambda:" + t.Function + ":" + t.Alias
		case release.TargetECSBlueGreen:
			t.Name = "ecs:" + t.Cluster + "/" + t.Service
		case release.TargetLocal:
			t.Instances = 1
			if v := o.get("instances"); v != nil {
				t.Instances, _ = d.integer(v, join(tp, "instances"), 1, maxInstances)
			}
			t.Name = "local:" + t.Service
		}
		if t.Region != "" {
			t.Name += "@" + t.Region
		}
		blameName := it
		if v := o.get("name"); v != nil {
			blameName = v
			s, ok := d.str(v, join(tp, "name"))
			if ok && !targetNamePattern.MatchString(s) {
				d.addf(v, join(tp, "name"), "%q must be 1-200 letters, digits or :/@._- starting with a letter or digit", s)
			}
			t.Name = s
		} else if !complete {
			t.Name = ""
		}
		if t.Name != "" {
			if first, dup := seen[t.Name]; dup {
				d.addf(blameName, join(tp, "name"), "target %q is already used at %s; targets must be unique across the pipeline (set name to tell them apart)", t.Name, first)
			} else {
				seen[t.Name] = tp
			}
		}
		out = append(out, t)
	}
	return out
}

// deployment reads a predefined config name or {type, percent, interval}.
func (d *decoder) deployment(n *yaml.Node, path string) (release.Deployment, bool) {
	if n = d.resolve(n); n == nil {
		return release.Deployment{}, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		name, ok := d.str(n, path)
		if !ok {
			return release.Deployment{}, false
		}
		if dep, ok := release.PredefinedDeployment(name); ok {
			return dep, true
		}
		bare := name
		for _, prefix := range []string{"CodeDeployDefault.Lambda", "CodeDeployDefault.ECS", "CodeDeployDefault."} {
			if s, ok := strings.CutPrefix(bare, prefix); ok {
				bare = s
				break
			}
		}
		d.addf(n, path, "unknown deployment config %q%s; use a CodeDeploy predefined name (%s) or {type: canary|linear|allAtOnce, percent, interval}",
			name, didYouMean(bare, release.PredefinedNames()), strings.Join(release.PredefinedNames(), ", "))
		return release.Deployment{}, false
	case yaml.MappingNode:
		o := d.object(n, path, "type", "percent", "interval", "steps")
		if o == nil {
			return release.Deployment{}, false
		}
		if o.has("steps") {
			ok := true
			for _, f := range []string{"type", "percent", "interval"} {
				if o.has(f) {
					d.addf(o.keys[f], join(path, f), "does not apply to a steps deployment")
					ok = false
				}
			}
			steps, good := d.steps(o.get("steps"), join(path, "steps"))
			return release.Deployment{Type: release.ShiftSteps, Steps: steps}, ok && good
		}
		if !d.required(o, "type") {
			return release.Deployment{}, false
		}
		typ, ok := d.enum(o.get("type"), join(path, "type"), string(release.ShiftCanary), string(release.ShiftLinear), string(release.ShiftAllAtOnce))
		if !ok {
			return release.Deployment{}, false
		}
		dep := release.Deployment{Type: release.ShiftType(typ)}
		if dep.Type == release.ShiftAllAtOnce {
			for _, f := range []string{"percent", "interval"} {
				if o.has(f) {
					d.addf(o.keys[f], join(path, f), "does not apply to allAtOnce")
					ok = false
				}
			}
			return dep, ok
		}
		good := d.required(o, "percent")
		if good {
			dep.Percent, good = d.integer(o.get("percent"), join(path, "percent"), 1, 99)
		}
		if d.required(o, "interval") {
			var gi bool
			dep.Interval, gi = d.duration(o.get("interval"), join(path, "interval"), time.Second, maxInterval)
			good = good && gi
		} else {
			good = false
		}
		return dep, good
	}
	d.addf(n, path, "must be a predefined config name or {type, percent, interval}, got %s", describe(n))
	return release.Deployment{}, false
}

// bake reads a duration or {duration, minRequests, maxExtension,
// onInsufficientData}; fields not given keep their inherited values.
func (d *decoder) bake(n *yaml.Node, path string, inherit release.Bake) release.Bake {
	b := inherit
	if r := d.resolve(n); r != nil && r.Kind == yaml.ScalarNode {
		b.Duration, _ = d.duration(r, path, 0, maxBake)
		return b
	}
	o := d.object(n, path, "duration", "minRequests", "maxExtension", "onInsufficientData")
	if o == nil {
		return b
	}
	if v := o.get("duration"); v != nil {
		b.Duration, _ = d.duration(v, join(path, "duration"), 0, maxBake)
	}
	if v := o.get("minRequests"); v != nil {
		mr, _ := d.integer(v, join(path, "minRequests"), 0, 1_000_000_000)
		b.MinRequests = int64(mr)
	}
	if v := o.get("maxExtension"); v != nil {
		b.MaxExtension, _ = d.duration(v, join(path, "maxExtension"), 0, maxBake)
		if b.MaxExtension > 0 && b.MinRequests == 0 {
			d.addf(v, join(path, "maxExtension"), "only applies with minRequests (a bake is extended while it has too few requests)")
		}
	}
	if v := o.get("onInsufficientData"); v != nil {
		b.OnInsufficientData, _ = d.enum(v, join(path, "onInsufficientData"), "fail", "promote")
	}
	return b
}

func (d *decoder) approval(n *yaml.Node, path string, defaultApprovers []string) *release.Approval {
	o := d.object(n, path, "approvers", "timeout")
	if o == nil {
		return nil
	}
	a := &release.Approval{Approvers: defaultApprovers, Timeout: DefaultApprovalTimeout}
	if o.has("approvers") {
		a.Approvers = d.names(o.get("approvers"), join(path, "approvers"))
	}
	if len(a.Approvers) == 0 && (o.get("approvers") == nil || len(o.get("approvers").Content) == 0) {
		d.addf(o.at("approvers"), join(path, "approvers"), "an approval needs approvers (here or in the pipeline's approvers)")
	}
	if v := o.get("timeout"); v != nil {
		a.Timeout, _ = d.duration(v, join(path, "timeout"), time.Minute, maxApproval)
	}
	return a
}

func (d *decoder) loadTest(n *yaml.Node, path string) *release.LoadTest {
	o := d.object(n, path, "tasks", "rps", "concurrency", "rampUp", "holdFor", "url", "criteria")
	if o == nil {
		return nil
	}
	lt := &release.LoadTest{Tasks: 1}
	if v := o.get("tasks"); v != nil {
		lt.Tasks, _ = d.integer(v, join(path, "tasks"), 1, maxTasks)
	}
	rps, conc := o.get("rps"), o.get("concurrency")
	switch {
	case rps != nil && conc != nil:
		d.addf(o.keys["concurrency"], path, "set rps (constant rate) or concurrency (fixed workers), not both")
	case rps != nil:
		lt.RPS, _ = d.number(rps, join(path, "rps"), 0.001, 1_000_000)
	case conc != nil:
		lt.Concurrency, _ = d.integer(conc, join(path, "concurrency"), 1, 10_000)
	default:
		d.addf(o.n, join(path, "rps"), "a load test needs rps (requests per second across all tasks) or concurrency (workers per task)")
	}
	if v := o.get("rampUp"); v != nil {
		lt.RampUp, _ = d.duration(v, join(path, "rampUp"), 0, maxLoadTest)
	}
	if d.required(o, "holdFor") {
		lt.HoldFor, _ = d.duration(o.get("holdFor"), join(path, "holdFor"), time.Second, maxLoadTest)
	}
	if v := o.get("url"); v != nil {
		lt.URL = d.url(v, join(path, "url"))
	}
	if v := o.get("criteria"); v != nil {
		cp := join(path, "criteria")
		c := d.object(v, cp, "p50", "p90", "p99", "errorRate", "minRps")
		if c != nil {
			latency := func(f string) time.Duration {
				if v := c.get(f); v != nil {
					l, _ := d.duration(v, join(cp, f), time.Millisecond, time.Hour)
					return l
				}
				return 0
			}
			lt.Criteria.P50, lt.Criteria.P90, lt.Criteria.P99 = latency("p50"), latency("p90"), latency("p99")
			if v := c.get("errorRate"); v != nil {
				lt.Criteria.ErrorRate, _ = d.percent(v, join(cp, "errorRate"))
			}
			if v := c.get("minRps"); v != nil {
				lt.Criteria.MinRPS, _ = d.number(v, join(cp, "minRps"), 0, 1_000_000)
			}
			pairs := [][2]string{{"p50", "p90"}, {"p90", "p99"}, {"p50", "p99"}}
			vals := map[string]time.Duration{"p50": lt.Criteria.P50, "p90": lt.Criteria.P90, "p99": lt.Criteria.P99}
			for _, pr := range pairs {
				if lo, hi := vals[pr[0]], vals[pr[1]]; lo > 0 && hi > 0 && lo > hi {
					d.addf(c.get(pr[1]), join(cp, pr[1]), "%s (%s) is below %s (%s); a higher percentile cannot be faster", pr[1], FormatDuration(hi), pr[0], FormatDuration(lo))
					break
				}
			}
		}
	}
	return lt
}
