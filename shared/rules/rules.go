package rules

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

//go:embed rules.json
var rulesJSON []byte

// Rule is one of Shipwave's EventBridge rules: which events go to which
// function.
type Rule struct {
	// Name identifies the rule (lower-case, dashes).
	Name string `json:"name"`
	// LogicalID is the rule's resource (or SAM event) id in template.yaml.
	LogicalID string `json:"logicalId"`
	// Description says what the events mean and what the target does.
	Description string `json:"description"`
	// Target is the function the events go to: a directory under functions/.
	Target string `json:"target"`
	// Bus is the event bus the rule listens on: BusShipwave for Shipwave's
	// own events (sources shipwave.*), whose policy admits only Shipwave's
	// publishers, or BusDefault for AWS service events (sources aws.*).
	Bus string `json:"bus"`
	// Enabled is the rule's default state.
	Enabled bool `json:"enabled"`
	// Pattern is the EventBridge event pattern.
	Pattern json.RawMessage `json:"pattern"`
	// Samples name events under events/ the pattern must (Match) and must
	// not (NoMatch) match.
	Samples Samples `json:"samples"`

	compiled *Pattern
}

// Samples are event files, relative to the events/ directory.
type Samples struct {
	Match   []string `json:"match"`
	NoMatch []string `json:"noMatch"`
}

// Match reports whether event matches the rule's pattern.
func (r Rule) Match(event []byte) bool { return r.compiled.Match(event) }

// Event buses a rule may listen on.
const (
	// BusDefault is the account's default bus, where AWS services publish.
	BusDefault = "default"
	// BusShipwave is the stack's own bus (template.yaml's EventBus).
	BusShipwave = "shipwave"
)

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// All returns Shipwave's rules, compiled, in the order rules.json lists
// them. It returns an error only if the embedded rules.json is broken.
func All() ([]Rule, error) {
	return parse(rulesJSON)
}

// JSON returns the embedded rules.json as written.
func JSON() []byte { return append([]byte(nil), rulesJSON...) }

func parse(b []byte) ([]Rule, error) {
	var doc struct {
		Rules []Rule `json:"rules"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("rules.json: %w", err)
	}
	seen := map[string]bool{}
	for i := range doc.Rules {
		r := &doc.Rules[i]
		if !namePattern.MatchString(r.Name) {
			return nil, fmt.Errorf("rules.json: rule %d: name %q: want lower-case letters, digits and dashes", i, r.Name)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("rules.json: rule %s: duplicate name", r.Name)
		}
		seen[r.Name] = true
		if r.Target == "" || r.LogicalID == "" {
			return nil, fmt.Errorf("rules.json: rule %s: target and logicalId are required", r.Name)
		}
		p, err := Compile(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("rules.json: rule %s: %w", r.Name, err)
		}
		if err := checkBus(*r); err != nil {
			return nil, fmt.Errorf("rules.json: rule %s: %w", r.Name, err)
		}
		r.compiled = p
	}
	return doc.Rules, nil
}

// Matching returns the enabled rules among rules whose pattern matches
// event, as an event bus routes it.
func Matching(rules []Rule, event []byte) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.Enabled && r.compiled != nil && r.compiled.Match(event) {
			out = append(out, r)
		}
	}
	return out
}

// checkBus requires a rule's sources to belong on its bus: shipwave.* on
// BusShipwave, anything else (aws.*) on BusDefault.
func checkBus(r Rule) error {
	var pat struct {
		Source []string `json:"source"`
	}
	if err := json.Unmarshal(r.Pattern, &pat); err != nil || len(pat.Source) == 0 {
		return fmt.Errorf("pattern.source: want a list of source names")
	}
	want := ""
	for _, src := range pat.Source {
		bus := BusDefault
		if strings.HasPrefix(src, "shipwave.") {
			bus = BusShipwave
		}
		if want != "" && bus != want {
			return fmt.Errorf("pattern.source mixes shipwave.* and AWS sources, which travel on different buses")
		}
		want = bus
	}
	if r.Bus != want {
		return fmt.Errorf("bus is %q, want %q for source %v", r.Bus, want, pat.Source)
	}
	return nil
}
