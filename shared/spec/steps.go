package spec

import (
	"encoding/json"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/release"
)

// unsetBake marks a final step written without bake or pause; wave gives it
// the wave's bake.
const unsetBake = time.Duration(-1)

var (
	stepFields           = []string{"weight", "bake", "pause", "analysis"}
	analysisFields       = []string{"metrics", "passScore", "marginalScore", "minSamples", "confidence", "synthetic"}
	analysisMetricFields = []string{"name", "direction", "weight", "effect", "critical", "slowerThan"}
	analysisMetricNames  = []string{"latency", "errors", "slowRequests"}
)

// steps reads deployment.steps: weights strictly increasing and ending at
// 100, each step with bake or pause (the final step may have neither and
// then bakes for the wave's bake).
func (d *decoder) steps(n *yaml.Node, path string) ([]release.Step, bool) {
	items, ok := d.list(n, path)
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		d.addf(n, path, "needs at least one step")
		return nil, false
	}
	good := true
	var out []release.Step
	prev, prevPath := 0, ""
	for i, it := range items {
		sp := index(path, i)
		o := d.object(it, sp, stepFields...)
		if o == nil {
			good = false
			continue
		}
		st := release.Step{Bake: unsetBake}
		if !d.required(o, "weight") {
			good = false
		} else if w, ok := d.integer(o.get("weight"), join(sp, "weight"), 1, 100); !ok {
			good = false
		} else {
			st.Weight = w
			if w <= prev {
				d.addf(o.get("weight"), join(sp, "weight"), "must be greater than %s's %d (weights increase step by step)", prevPath, prev)
				good = false
			}
			prev, prevPath = w, sp
		}
		bake, pause := o.get("bake"), o.get("pause")
		switch {
		case bake != nil && o.has("pause"):
			d.addf(o.keys["pause"], sp, "set bake or pause, not both")
			good = false
		case bake != nil:
			var ok bool
			if st.Bake, ok = d.duration(bake, join(sp, "bake"), 0, maxBake); !ok {
				good = false
			}
		case o.has("pause"):
			if p := d.object(pause, join(sp, "pause")); p == nil {
				good = false
			}
			st.Pause, st.Bake = true, 0
		case i < len(items)-1:
			d.addf(o.n, sp, "needs bake (a duration) or pause: {} (wait for promote)")
			good = false
		}
		if v := o.get("analysis"); v != nil {
			st.Analysis = d.analysis(v, join(sp, "analysis"))
		}
		out = append(out, st)
	}
	if good && prev != 100 {
		d.addf(items[len(items)-1], index(path, len(items)-1), "the last step must have weight 100, got %d", prev)
		good = false
	}
	return out, good
}

// analysis reads a step's analysis block.
func (d *decoder) analysis(n *yaml.Node, path string) *release.Analysis {
	before := len(d.problems)
	o := d.object(n, path, analysisFields...)
	if o == nil {
		return nil
	}
	a := &release.Analysis{}
	if d.required(o, "metrics") {
		mp := join(path, "metrics")
		items, ok := d.list(o.get("metrics"), mp)
		if ok && len(items) == 0 {
			d.addf(o.get("metrics"), mp, "needs at least one metric (%s)", joinOr(analysisMetricNames))
		}
		seen := map[string]string{}
		for i, it := range items {
			ip := index(mp, i)
			m, ok := d.analysisMetric(it, ip)
			if !ok {
				continue
			}
			if first, dup := seen[m.Name]; dup {
				d.addf(it, join(ip, "name"), "metric %q is already judged at %s", m.Name, first)
				continue
			}
			seen[m.Name] = ip
			a.Metrics = append(a.Metrics, m)
		}
	}
	if v := o.get("passScore"); v != nil {
		a.PassScore, _ = d.number(v, join(path, "passScore"), 1, 100)
	}
	if v := o.get("marginalScore"); v != nil {
		var ok bool
		if a.MarginalScore, ok = d.number(v, join(path, "marginalScore"), 1, 100); ok {
			pass := a.PassScore
			if pass == 0 {
				pass = 95 // the judge's default
			}
			if a.MarginalScore > pass {
				d.addf(v, join(path, "marginalScore"), "must not exceed passScore (%g)", pass)
			}
		}
	}
	if v := o.get("passScore"); v != nil && a.PassScore > 0 && a.PassScore < 75 && !o.has("marginalScore") {
		d.addf(v, join(path, "passScore"), "is below the default marginalScore (75); set marginalScore too")
	}
	if v := o.get("minSamples"); v != nil {
		a.MinSamples, _ = d.integer(v, join(path, "minSamples"), 1, 1_000_000)
	}
	if v := o.get("confidence"); v != nil {
		a.Confidence, _ = d.number(v, join(path, "confidence"), 0.5, 0.9999)
	}
	if v := o.get("synthetic"); v != nil {
		sp := join(path, "synthetic")
		if so := d.object(v, sp, "maxRps", "countInJudgment", "event"); so != nil {
			s := &release.SyntheticTraffic{}
			if d.required(so, "maxRps") {
				s.MaxRPS, _ = d.integer(so.get("maxRps"), join(sp, "maxRps"), 1, 1000)
			}
			if c := so.get("countInJudgment"); c != nil {
				s.CountInJudgment, _ = d.boolean(c, join(sp, "countInJudgment"))
			}
			if e := so.get("event"); e != nil {
				s.Event = d.jsonObject(e, join(sp, "event"))
			}
			a.Synthetic = s
		}
	}
	// The judge's own validation, in case it knows a rule the fields above
	// do not (only reached when every field was valid).
	if len(a.Metrics) > 0 && len(d.problems) == before {
		if err := analysis.FromRelease(*a).Validate(); err != nil {
			d.addf(o.n, path, "%v", err)
		}
	}
	return a
}

func (d *decoder) analysisMetric(n *yaml.Node, path string) (release.AnalysisMetric, bool) {
	var m release.AnalysisMetric
	o := d.object(n, path, analysisMetricFields...)
	if o == nil || !d.required(o, "name") {
		return m, false
	}
	name, ok := d.enum(o.get("name"), join(path, "name"), analysisMetricNames...)
	if !ok {
		return m, false
	}
	m.Name = name
	if v := o.get("direction"); v != nil {
		m.Direction, _ = d.enum(v, join(path, "direction"), "increase", "decrease", "either")
	}
	if v := o.get("weight"); v != nil {
		if w, ok := d.number(v, join(path, "weight"), 0, 1000); ok {
			if w == 0 {
				d.addf(v, join(path, "weight"), "must be positive (drop the metric instead)")
			}
			m.Weight = w
		}
	}
	if v := o.get("effect"); v != nil {
		m.Effect, _ = d.percent(v, join(path, "effect"))
	}
	if v := o.get("critical"); v != nil {
		m.Critical, _ = d.boolean(v, join(path, "critical"))
	}
	switch v := o.get("slowerThan"); {
	case v != nil && name != "slowRequests":
		d.addf(o.keys["slowerThan"], join(path, "slowerThan"), "only applies to slowRequests")
	case v != nil:
		m.SlowerThan, _ = d.duration(v, join(path, "slowerThan"), time.Millisecond, time.Hour)
	case name == "slowRequests":
		d.addf(o.n, join(path, "slowerThan"), "is required for slowRequests (the latency above which a request is slow)")
	}
	return m, true
}

// analysisSources checks that w's targets can supply its steps' analysis
// metrics: slowRequests needs per-request latencies, which only the local
// fleet keeps (CloudWatch has per-period statistics). n is the node to blame
// (the deployment, which may be inherited from the stage).
func (d *decoder) analysisSources(w release.Wave, n *yaml.Node, path string) {
	for i, st := range w.Deployment.Steps {
		if st.Analysis == nil {
			continue
		}
		for j, m := range st.Analysis.Metrics {
			if m.Name != "slowRequests" {
				continue
			}
			for _, t := range w.Targets {
				if t.Type != release.TargetLocal {
					d.addf(n, join(index(join(index(join(path, "steps"), i), "analysis.metrics"), j), "name"),
						"slowRequests needs per-request latencies, which only local targets have (target %s is %s; CloudWatch keeps per-period statistics)", t.Name, t.Type)
					return
				}
			}
		}
	}
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := ""
	for i, v := range s[:len(s)-1] {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out + " or " + s[len(s)-1]
}

// maxEventBytes bounds a synthetic invocation's payload: Lambda accepts up
// to 6 MB for a synchronous invocation, far more than a probe needs.
const maxEventBytes = 64 << 10

// jsonObject decodes a mapping as the JSON object it stands for (a
// synthetic invocation's payload).
func (d *decoder) jsonObject(n *yaml.Node, path string) json.RawMessage {
	if n = d.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "must be a mapping (the JSON object sent as the invocation's payload), got %s", describe(n))
		return nil
	}
	var v map[string]any
	if err := n.Decode(&v); err != nil {
		d.addf(n, path, "%v", err)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		d.addf(n, path, "cannot be sent as JSON: %v", err)
		return nil
	}
	if len(b) > maxEventBytes {
		d.addf(n, path, "is %d bytes as JSON, more than %d", len(b), maxEventBytes)
		return nil
	}
	return b
}
