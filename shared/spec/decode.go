package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// nodeBudget bounds how many nodes one spec may make the decoder visit, so
// that alias bombs cannot make validation run for ever.
const nodeBudget = 200_000

// decoder walks a YAML node tree and collects problems.
type decoder struct {
	file     string
	problems Problems
	budget   int
	overrun  bool
	// alarmAt is where each alarm name was first listed, for checks that
	// need the whole pipeline.
	alarmAt map[string]place
}

// place is a node and its field path.
type place struct {
	node *yaml.Node
	path string
}

// addf records a problem at node n (or line 0 when n is nil).
func (d *decoder) addf(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

// resolve follows aliases and charges the visit to the budget. It returns nil
// once the budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nil
	}
	d.budget--
	if d.budget < 0 {
		if !d.overrun {
			d.overrun = true
			d.addf(n, "", "spec is too large or its aliases expand too far")
		}
		return nil
	}
	return n
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// isNull reports whether n is absent or an explicit YAML null.
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "the number " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unsupported YAML node"
}

// object is a YAML mapping whose keys have been checked against the fields
// its type knows.
type object struct {
	n      *yaml.Node
	path   string
	keys   map[string]*yaml.Node
	values map[string]*yaml.Node
}

// object checks that n is a mapping with only the given fields and no
// duplicate keys. A null n is an empty object. It returns nil (after recording
// a problem) when n is not a mapping.
func (d *decoder) object(n *yaml.Node, path string, fields ...string) *object {
	o := &object{n: n, path: path, keys: map[string]*yaml.Node{}, values: map[string]*yaml.Node{}}
	if isNull(n) {
		return o
	}
	if n = d.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "must be a mapping, got %s", describe(n))
		return nil
	}
	o.n = n
	known := map[string]bool{}
	for _, f := range fields {
		known[f] = true
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.addf(k, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		name := k.Value
		if first, dup := o.keys[name]; dup {
			d.addf(k, join(path, name), "duplicate field (first set on line %d)", first.Line)
			continue
		}
		if !known[name] {
			d.addf(k, join(path, name), "unknown field %q%s", name, didYouMean(name, fields))
			continue
		}
		o.keys[name], o.values[name] = k, v
	}
	// Merge keys (<<: *anchor) fill in fields not set explicitly.
	for _, m := range merges {
		m = d.resolve(m)
		if m == nil {
			continue
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			src = d.resolve(src)
			if src == nil {
				continue
			}
			if src.Kind != yaml.MappingNode {
				d.addf(src, path, "a merge key (<<) must refer to a mapping, got %s", describe(src))
				continue
			}
			for i := 0; i+1 < len(src.Content); i += 2 {
				k, v := src.Content[i], src.Content[i+1]
				if k.Kind != yaml.ScalarNode {
					continue
				}
				if _, set := o.keys[k.Value]; set {
					continue
				}
				if !known[k.Value] {
					d.addf(k, join(path, k.Value), "unknown field %q%s", k.Value, didYouMean(k.Value, fields))
					continue
				}
				o.keys[k.Value], o.values[k.Value] = k, v
			}
		}
	}
	return o
}

// get returns the value of field name, or nil when it is absent or null.
func (o *object) get(name string) *yaml.Node {
	if o == nil {
		return nil
	}
	v := o.values[name]
	if isNull(v) {
		return nil
	}
	return v
}

// has reports whether field name is present, even as null.
func (o *object) has(name string) bool {
	if o == nil {
		return false
	}
	_, ok := o.keys[name]
	return ok
}

// at returns the node to blame for field name: its value when present, else
// the mapping itself.
func (o *object) at(name string) *yaml.Node {
	if v := o.get(name); v != nil {
		return v
	}
	if k := o.keys[name]; k != nil {
		return k
	}
	return o.n
}

// required records a problem when field name is missing and reports whether
// it is present.
func (d *decoder) required(o *object, name string) bool {
	if o == nil {
		return false
	}
	if o.get(name) == nil {
		d.addf(o.at(name), join(o.path, name), "is required")
		return false
	}
	return true
}

// list checks that n is a sequence and returns its items, resolved.
func (d *decoder) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if n = d.resolve(n); n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "must be a list, got %s", describe(n))
		return nil, false
	}
	items := make([]*yaml.Node, 0, len(n.Content))
	for _, it := range n.Content {
		if r := d.resolve(it); r != nil {
			items = append(items, r)
		}
	}
	return items, true
}

// str returns a scalar's text. Numbers are accepted as text; booleans,
// nulls, lists and mappings are not.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n = d.resolve(n); n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Tag == "!!bool" {
		d.addf(n, path, "must be a string, got %s", describe(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		d.addf(n, path, "must not be empty")
		return "", false
	}
	return n.Value, true
}

// names returns a list of unique non-empty names, such as alarm names.
func (d *decoder) names(n *yaml.Node, path string) []string {
	if n == nil {
		return nil
	}
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []string
	seen := map[string]int{}
	for i, it := range items {
		s, good := d.str(it, index(path, i))
		if !good {
			continue
		}
		if first, dup := seen[s]; dup {
			d.addf(it, index(path, i), "%q is listed twice (also at %s)", s, index(path, first))
			continue
		}
		seen[s] = i
		out = append(out, s)
		if strings.HasSuffix(path, "alarms") {
			if d.alarmAt == nil {
				d.alarmAt = map[string]place{}
			}
			if _, ok := d.alarmAt[s]; !ok {
				d.alarmAt[s] = place{it, index(path, i)}
			}
		}
	}
	return out
}

func (d *decoder) integer(n *yaml.Node, path string, lo, hi int) (int, bool) {
	if n = d.resolve(n); n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.addf(n, path, "must be a whole number, got %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 0, 64)
	if err != nil || v < int64(lo) || v > int64(hi) {
		d.addf(n, path, "must be between %d and %d, got %s", lo, hi, n.Value)
		return 0, false
	}
	return int(v), true
}

func (d *decoder) number(n *yaml.Node, path string, lo, hi float64) (float64, bool) {
	if n = d.resolve(n); n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		d.addf(n, path, "must be a number, got %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(v) || v < lo || v > hi {
		d.addf(n, path, "must be between %g and %g, got %s", lo, hi, n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	if n = d.resolve(n); n == nil {
		return false, false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.addf(n, path, "must be true or false, got %s", describe(n))
		return false, false
	}
	v, err := strconv.ParseBool(strings.ToLower(n.Value))
	if err != nil {
		d.addf(n, path, "must be true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

// enum returns a string that must be one of values.
func (d *decoder) enum(n *yaml.Node, path string, values ...string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	for _, v := range values {
		if s == v {
			return s, true
		}
	}
	d.addf(n, path, "must be one of %s, got %q%s", strings.Join(values, ", "), s, didYouMean(s, values))
	return "", false
}

// duration parses a duration between lo and hi inclusive.
func (d *decoder) duration(n *yaml.Node, path string, lo, hi time.Duration) (time.Duration, bool) {
	if n = d.resolve(n); n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Tag == "!!bool" {
		d.addf(n, path, "must be a duration such as 30s, 5m, 1h30m or 2d, got %s", describe(n))
		return 0, false
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		d.addf(n, path, "%v", err)
		return 0, false
	}
	if v < lo || v > hi {
		d.addf(n, path, "must be between %s and %s, got %s", FormatDuration(lo), FormatDuration(hi), n.Value)
		return 0, false
	}
	return v, true
}

// percent parses "1%" or "0.5%" into a fraction (0.01, 0.005).
func (d *decoder) percent(n *yaml.Node, path string) (float64, bool) {
	if n = d.resolve(n); n == nil {
		return 0, false
	}
	s := strings.TrimSpace(n.Value)
	num, isPercent := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if n.Kind != yaml.ScalarNode || !isPercent || err != nil || math.IsNaN(v) {
		d.addf(n, path, "must be a percentage such as 1%% or 0.5%%, got %s", describe(n))
		return 0, false
	}
	if v < 0 || v > 100 {
		d.addf(n, path, "must be between 0%% and 100%%, got %s", s)
		return 0, false
	}
	return v / 100, true
}

// ParseDuration parses Go duration syntax extended with d for days
// (24 hours): "30s", "5m", "1h30m", "2d", "1d12h". Negative durations are
// rejected; "0" is zero.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "0" {
		return 0, nil
	}
	if in == "" {
		return 0, fmt.Errorf("invalid duration %q: empty", s)
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	if _, err := strconv.ParseFloat(in, 64); err == nil {
		return 0, fmt.Errorf("invalid duration %q: missing unit (use s, m, h or d, as in %ss)", s, in)
	}
	var days time.Duration
	if i := strings.IndexByte(in, 'd'); i >= 0 {
		const day = 24 * time.Hour
		count := in[:i]
		if n, err := strconv.ParseInt(count, 10, 64); err == nil && n >= 0 && n <= math.MaxInt64/int64(day) && !strings.HasPrefix(count, "+") {
			days = time.Duration(n) * day
		} else if f, err := strconv.ParseFloat(count, 64); err == nil && f >= 0 && f < math.MaxInt64/float64(day) && !strings.HasPrefix(count, "+") && !strings.ContainsAny(count, "eEpPxXnN_") {
			days = time.Duration(f * float64(day))
		} else {
			return 0, fmt.Errorf("invalid duration %q: bad day count %q", s, count)
		}
		in = in[i+1:]
		if in == "" {
			return days, nil
		}
	}
	v, err := time.ParseDuration(in)
	if err != nil || strings.HasPrefix(in, "+") || strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("invalid duration %q: want a number and unit such as 30s, 5m, 1h30m or 2d", s)
	}
	if v > math.MaxInt64-days {
		return 0, fmt.Errorf("invalid duration %q: too long", s)
	}
	return days + v, nil
}

// FormatDuration prints d the way specs write it: whole days as "2d",
// otherwise Go's form with zero units trimmed ("1h30m", "5m", "30s").
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var out string
	if days := d / (24 * time.Hour); days > 0 && d >= 24*time.Hour {
		out = fmt.Sprintf("%dd", days)
		d -= days * 24 * time.Hour
		if d == 0 {
			return out
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return out + s
}
