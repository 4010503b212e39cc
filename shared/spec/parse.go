package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	// Time zones in specs are validated with time.LoadLocation, which must
	// work in Lambda's runtime too, where there are no zoneinfo files.
	_ "time/tzdata"

	"gopkg.in/yaml.v3"

	"github.com/shipwave/shipwave/shared/glob"
	"github.com/shipwave/shipwave/shared/metricalarms"
	"github.com/shipwave/shipwave/shared/notify/destination"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/schedule"
)

// APIVersion is the only spec version this package reads.
const APIVersion = "shipwave/v1"

// Defaults filled in by Parse; docs/pipeline-spec.md documents each.
const (
	DefaultExecutionMode   = release.ModeSuperseded
	DefaultOnFailure       = release.FailureRollbackAllWaves
	DefaultBake            = 5 * time.Minute
	DefaultApprovalTimeout = 24 * time.Hour
	DefaultHookTimeout     = 5 * time.Minute
	DefaultBranch          = "main"
	DefaultAlias           = "live"
	DefaultTimezone        = "UTC"
	DefaultOnInsufficient  = "fail"
)

// Limits on values; larger ones are almost certainly mistakes.
const (
	maxBake        = 30 * 24 * time.Hour
	maxApproval    = 30 * 24 * time.Hour
	maxHookTimeout = time.Hour
	maxLoadTest    = 24 * time.Hour
	maxInterval    = 24 * time.Hour
	maxTasks       = 100
	maxInstances   = 20
	maxFileSize    = 1 << 20
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`)

// Parse reads one pipeline spec. file names the spec in problems. On success
// it returns the pipeline with every default filled in; otherwise the error
// is a Problems value listing everything wrong, sorted by line.
func Parse(file string, data []byte) (release.Pipeline, error) {
	d := &decoder{file: file, budget: nodeBudget}
	root := d.document(data)
	var p release.Pipeline
	if root != nil {
		p = d.pipeline(root)
		if len(d.problems) == 0 {
			d.localAlarms(p)
		}
	}
	if len(d.problems) > 0 {
		d.problems.sort()
		return release.Pipeline{}, d.problems
	}
	return p, nil
}

// localAlarms refuses alarms on local targets that local mode cannot
// derive a definition for (metricalarms' naming conventions), so `spec
// validate` says so instead of `local up`.
func (d *decoder) localAlarms(p release.Pipeline) {
	if _, err := metricalarms.DefaultAlarms(p); err == nil {
		return
	}
	for _, name := range localAlarmNames(p) {
		if metricalarms.Derivable(name) {
			continue
		}
		at := d.alarmAt[name]
		d.addf(at.node, at.path, "alarm %q is watched on a local target, but local mode derives alarms only from names ending in %s", name, metricalarms.Suffixes())
	}
}

// localAlarmNames lists the alarms watched on local targets.
func localAlarmNames(p release.Pipeline) []string {
	seen := map[string]bool{}
	var out []string
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			base := p.Alarms
			if len(w.Alarms) > 0 {
				base = w.Alarms
			}
			for _, t := range w.Targets {
				if t.Type != release.TargetLocal {
					continue
				}
				for _, a := range append(append([]string(nil), base...), t.Alarms...) {
					if !seen[a] {
						seen[a] = true
						out = append(out, a)
					}
				}
			}
		}
	}
	return out
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document decodes exactly one YAML document and returns its root node.
func (d *decoder) document(data []byte) (root *yaml.Node) {
	if len(data) > maxFileSize {
		d.addf(nil, "", "file is larger than %d bytes", maxFileSize)
		return nil
	}
	defer func() {
		// yaml.v3 has panicked on some malformed inputs in the past; a spec
		// is outside input, so report rather than crash.
		if r := recover(); r != nil {
			d.addf(nil, "", "not valid YAML: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.addf(nil, "", "file is empty; want a pipeline spec starting with apiVersion: %s", APIVersion)
		} else {
			d.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.addf(&extra, "", "only one YAML document per file; found another here")
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	if len(doc.Content) == 0 {
		d.addf(nil, "", "file is empty; want a pipeline spec starting with apiVersion: %s", APIVersion)
		return nil
	}
	return doc.Content[0]
}

func (d *decoder) yamlError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.problems = append(d.problems, Problem{File: d.file, Line: line, Message: "not valid YAML: " + m[2]})
		return
	}
	d.addf(nil, "", "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// pipeline walks the root mapping.
func (d *decoder) pipeline(root *yaml.Node) release.Pipeline {
	o := d.object(root, "", "apiVersion", "pipeline", "source", "executionMode", "triggers",
		"deployWindows", "alarms", "hooks", "stages", "onFailure", "notify", "approvers", "chat")
	if o == nil {
		return release.Pipeline{}
	}
	p := release.Pipeline{APIVersion: APIVersion, ExecutionMode: DefaultExecutionMode, OnFailure: DefaultOnFailure}
	if d.required(o, "apiVersion") {
		if v, ok := d.str(o.get("apiVersion"), "apiVersion"); ok && v != APIVersion {
			d.addf(o.get("apiVersion"), "apiVersion", "unsupported version %q; want %s", v, APIVersion)
		}
	}
	if d.required(o, "pipeline") {
		p.Name = d.name(o.get("pipeline"), "pipeline")
	}
	p.Source = d.source(o.get("source"), "source")
	if n := o.get("executionMode"); n != nil {
		if v, ok := d.enum(n, "executionMode", string(release.ModeQueued), string(release.ModeSuperseded), string(release.ModeParallel)); ok {
			p.ExecutionMode = release.ExecutionMode(v)
		}
	}
	p.Triggers = d.triggers(o.get("triggers"), "triggers", p.Source)
	p.DeployWindows = d.windows(o.get("deployWindows"), "deployWindows")
	p.Alarms = d.names(o.get("alarms"), "alarms")
	p.Hooks = d.hooks(o.get("hooks"), "hooks", release.Hooks{})
	if n := o.get("onFailure"); n != nil {
		p.OnFailure = d.onFailure(n, "onFailure")
	}
	p.Notify = d.notify(o.get("notify"), "notify")
	p.Approvers = d.names(o.get("approvers"), "approvers")
	if n := o.get("chat"); n != nil {
		c := d.object(n, "chat", "deployers", "approvers")
		if c != nil {
			p.Chat = &release.ChatAccess{
				Deployers: d.names(c.get("deployers"), "chat.deployers"),
				Approvers: d.names(c.get("approvers"), "chat.approvers"),
			}
		}
	}
	if d.required(o, "stages") {
		p.Stages = d.stages(o.get("stages"), "stages", &p)
	}
	return p
}

// notify returns the notify destinations, each checked (package
// destination) where it is written.
func (d *decoder) notify(n *yaml.Node, path string) []string {
	out := d.names(n, path)
	if n = d.resolve(n); n == nil || n.Kind != yaml.SequenceNode {
		return out
	}
	for i, it := range n.Content {
		if it = d.resolve(it); it == nil || it.Kind != yaml.ScalarNode || it.Tag == "!!null" || it.Tag == "!!bool" {
			continue // names said so
		}
		if err := destination.Check(it.Value); err != nil {
			d.addf(it, index(path, i), "%s", err.Error())
		}
	}
	return out
}

func (d *decoder) name(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if !namePattern.MatchString(s) {
		d.addf(n, path, "%q must be 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit", s)
		return ""
	}
	return s
}

func (d *decoder) source(n *yaml.Node, path string) release.Source {
	o := d.object(n, path, "repository", "branch", "tags", "paths", "ignore", "image")
	var s release.Source
	if o == nil {
		return s
	}
	if v := o.get("repository"); v != nil {
		s.Repository, _ = d.str(v, join(path, "repository"))
	}
	if v := o.get("branch"); v != nil {
		s.Branch = d.glob(v, join(path, "branch"))
	} else if s.Repository != "" {
		s.Branch = DefaultBranch
	}
	s.Tags = d.globs(o.get("tags"), join(path, "tags"))
	s.Paths = d.globs(o.get("paths"), join(path, "paths"))
	s.Ignore = d.globs(o.get("ignore"), join(path, "ignore"))
	if v := o.get("image"); v != nil {
		s.Image, _ = d.str(v, join(path, "image"))
	}
	return s
}

func (d *decoder) glob(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if _, err := glob.Compile(s); err != nil {
		msg := err.Error()
		var se *glob.SyntaxError
		if errors.As(err, &se) {
			msg = fmt.Sprintf("%s at offset %d", se.Msg, se.Offset)
		}
		d.addf(n, path, "bad pattern %q: %s", s, msg)
		return ""
	}
	return s
}

func (d *decoder) globs(n *yaml.Node, path string) []string {
	if n == nil {
		return nil
	}
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		if g := d.glob(it, index(path, i)); g != "" {
			out = append(out, g)
		}
	}
	return out
}

var triggerKinds = []string{"push", "image", "schedule", "codePipeline", "chat", "voice"}

func (d *decoder) triggers(n *yaml.Node, path string, src release.Source) []release.TriggerRule {
	if n == nil {
		return nil
	}
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []release.TriggerRule
	for i, it := range items {
		ip := index(path, i)
		o := d.object(it, ip, triggerKinds...)
		if o == nil {
			continue
		}
		var kinds []string
		for _, k := range triggerKinds {
			if o.has(k) {
				kinds = append(kinds, k)
			}
		}
		switch len(kinds) {
		case 0:
			if o.n == nil || len(o.n.Content) == 0 {
				d.addf(it, ip, "empty trigger; want one of %s", strings.Join(triggerKinds, ", "))
			}
			continue
		case 1:
		default:
			d.addf(it, ip, "a trigger has one kind, found %s; use one list item each", strings.Join(kinds, " and "))
			continue
		}
		var r release.TriggerRule
		kp := join(ip, kinds[0])
		v := o.values[kinds[0]]
		switch kinds[0] {
		case "push":
			po := d.object(v, kp, "branches", "tags", "paths", "ignore")
			if po == nil {
				continue
			}
			r.Push = &release.PushTrigger{
				Branches: d.globs(po.get("branches"), join(kp, "branches")),
				Tags:     d.globs(po.get("tags"), join(kp, "tags")),
				Paths:    d.globs(po.get("paths"), join(kp, "paths")),
				Ignore:   d.globs(po.get("ignore"), join(kp, "ignore")),
			}
			if src.Repository == "" {
				d.addf(o.keys["push"], kp, "push triggers need source.repository")
			}
		case "image":
			imgo := d.object(v, kp, "repository", "tags")
			if imgo == nil {
				continue
			}
			r.Image = &release.ImageTrigger{Repository: src.Image, Tags: d.globs(imgo.get("tags"), join(kp, "tags"))}
			if rv := imgo.get("repository"); rv != nil {
				r.Image.Repository, _ = d.str(rv, join(kp, "repository"))
			} else if src.Image == "" {
				d.addf(imgo.at("repository"), join(kp, "repository"), "is required (or set source.image)")
			}
		case "schedule":
			so := d.object(v, kp, "cron", "timezone")
			if so == nil {
				continue
			}
			r.Schedule = &release.ScheduleTrigger{Timezone: DefaultTimezone}
			if d.required(so, "cron") {
				if expr, ok := d.str(so.get("cron"), join(kp, "cron")); ok {
					if c, err := schedule.ParseCron(expr); err != nil {
						d.addf(so.get("cron"), join(kp, "cron"), "%v", err)
					} else {
						r.Schedule.Cron = c.String()
					}
				}
			}
			if tz := so.get("timezone"); tz != nil {
				r.Schedule.Timezone = d.timezone(tz, join(kp, "timezone"))
			}
		case "codePipeline", "chat", "voice":
			if d.object(v, kp) == nil {
				continue
			}
			empty := &struct{}{}
			switch kinds[0] {
			case "codePipeline":
				r.CodePipeline = empty
			case "chat":
				r.Chat = empty
			default:
				r.Voice = empty
			}
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) timezone(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if _, err := time.LoadLocation(s); err != nil || s == "Local" {
		d.addf(n, path, "unknown time zone %q; use an IANA name such as Europe/Berlin or UTC", s)
		return ""
	}
	return s
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func (d *decoder) windows(n *yaml.Node, path string) []release.Window {
	if n == nil {
		return nil
	}
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []release.Window
	for i, it := range items {
		ip := index(path, i)
		o := d.object(it, ip, "days", "hours", "timezone", "blocked")
		if o == nil {
			continue
		}
		w := release.Window{Start: 0, End: 24 * 60, Timezone: DefaultTimezone}
		good := true
		if v := o.get("days"); v != nil {
			w.Days, ok = d.days(v, join(ip, "days"))
			good = good && ok
		} else {
			w.Days = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
		}
		if v := o.get("hours"); v != nil {
			w.Start, w.End, ok = d.hours(v, join(ip, "hours"))
			good = good && ok
		}
		if v := o.get("timezone"); v != nil {
			w.Timezone = d.timezone(v, join(ip, "timezone"))
		}
		if v := o.get("blocked"); v != nil {
			dates, _ := d.list(v, join(ip, "blocked"))
			for j, dn := range dates {
				dp := index(join(ip, "blocked"), j)
				s, ok := d.str(dn, dp)
				if !ok {
					continue
				}
				if _, err := time.Parse(time.DateOnly, s); err != nil {
					d.addf(dn, dp, "%q is not a date; want YYYY-MM-DD", s)
					continue
				}
				w.Blocked = append(w.Blocked, s)
			}
		}
		if good {
			out = append(out, w)
		}
	}
	return out
}

// days parses "Mon-Thu", "Mon,Wed", "Fri-Mon" (wrapping) or a list of such.
func (d *decoder) days(n *yaml.Node, path string) ([]time.Weekday, bool) {
	var parts []string
	var nodes []*yaml.Node
	if n = d.resolve(n); n == nil {
		return nil, false
	}
	if n.Kind == yaml.SequenceNode {
		items, _ := d.list(n, path)
		for i, it := range items {
			s, ok := d.str(it, index(path, i))
			if !ok {
				return nil, false
			}
			parts = append(parts, s)
			nodes = append(nodes, it)
		}
	} else {
		s, ok := d.str(n, path)
		if !ok {
			return nil, false
		}
		for _, p := range strings.Split(s, ",") {
			parts = append(parts, p)
			nodes = append(nodes, n)
		}
	}
	if len(parts) == 0 {
		d.addf(n, path, "needs at least one day (leave days out for every day)")
		return nil, false
	}
	var set [7]bool
	for i, p := range parts {
		p = strings.TrimSpace(p)
		a, z, isRange := strings.Cut(p, "-")
		from, ok1 := dayNames[strings.ToLower(strings.TrimSpace(a))]
		to, ok2 := from, true
		if isRange {
			to, ok2 = dayNames[strings.ToLower(strings.TrimSpace(z))]
		}
		if !ok1 || !ok2 {
			d.addf(nodes[i], path, "%q is not a day or day range such as Mon-Thu", p)
			return nil, false
		}
		for day := from; ; day = (day + 1) % 7 {
			set[day] = true
			if day == to {
				break
			}
		}
	}
	var out []time.Weekday
	for day, on := range set {
		if on {
			out = append(out, time.Weekday(day))
		}
	}
	return out, true
}

var hoursPattern = regexp.MustCompile(`^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$`)

// hours parses "09:00-16:00"; the end may be 24:00 and may be before the
// start, wrapping past midnight.
func (d *decoder) hours(n *yaml.Node, path string) (release.Clock, release.Clock, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return 0, 0, false
	}
	m := hoursPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		d.addf(n, path, "%q is not a time range; want HH:MM-HH:MM such as 09:00-16:00", s)
		return 0, 0, false
	}
	clock := func(h, mm string) (release.Clock, bool) {
		hv, _ := strconv.Atoi(h)
		mv, _ := strconv.Atoi(mm)
		if mv > 59 || hv > 24 || (hv == 24 && mv != 0) {
			return 0, false
		}
		return release.Clock(hv*60 + mv), true
	}
	start, ok1 := clock(m[1], m[2])
	end, ok2 := clock(m[3], m[4])
	switch {
	case !ok1 || !ok2 || start == 24*60:
		d.addf(n, path, "%q has a time outside 00:00-24:00", s)
		return 0, 0, false
	case start == end:
		d.addf(n, path, "%q is an empty window (start equals end)", s)
		return 0, 0, false
	}
	return start, end, true
}

func (d *decoder) hooks(n *yaml.Node, path string, inherit release.Hooks) release.Hooks {
	h := inherit
	if n == nil {
		return h
	}
	o := d.object(n, path, "preTraffic", "postTraffic")
	if o == nil {
		return h
	}
	if v := o.get("preTraffic"); v != nil {
		h.PreTraffic = d.hook(v, join(path, "preTraffic"))
	}
	if v := o.get("postTraffic"); v != nil {
		h.PostTraffic = d.hook(v, join(path, "postTraffic"))
	}
	return h
}

func (d *decoder) hook(n *yaml.Node, path string) *release.Hook {
	o := d.object(n, path, "lambda", "http", "timeout")
	if o == nil {
		return nil
	}
	h := &release.Hook{Timeout: DefaultHookTimeout}
	switch lam, web := o.get("lambda"), o.get("http"); {
	case lam != nil && web != nil:
		d.addf(o.n, path, "set either lambda or http, not both")
	case lam != nil:
		h.Lambda, _ = d.str(lam, join(path, "lambda"))
	case web != nil:
		h.HTTP = d.url(web, join(path, "http"))
	default:
		d.addf(o.n, path, "needs lambda (a function name) or http (a URL)")
	}
	if v := o.get("timeout"); v != nil {
		h.Timeout, _ = d.duration(v, join(path, "timeout"), time.Second, maxHookTimeout)
	}
	return h
}

func (d *decoder) url(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.addf(n, path, "%q is not an absolute http(s) URL", s)
		return ""
	}
	return s
}

func (d *decoder) onFailure(n *yaml.Node, path string) release.FailureMode {
	v, _ := d.enum(n, path, string(release.FailureRollbackWave), string(release.FailureRollbackAllWaves))
	return release.FailureMode(v)
}
