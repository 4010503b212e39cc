package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/shipwave/shipwave/shared/rules"
)

func TestRulesSamples(t *testing.T) {
	all, err := rules.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("rules.All() returned no rules")
	}
	for _, r := range all {
		t.Run(r.Name, func(t *testing.T) {
			if len(r.Samples.Match) == 0 || len(r.Samples.NoMatch) == 0 {
				t.Fatalf("rule %s: want at least one matching and one non-matching sample", r.Name)
			}
			for _, name := range r.Samples.Match {
				if ev := readEvent(t, name); !r.Match(ev) {
					t.Errorf("rule %s does not match events/%s, want a match", r.Name, name)
				}
			}
			for _, name := range r.Samples.NoMatch {
				if ev := readEvent(t, name); r.Match(ev) {
					t.Errorf("rule %s matches events/%s, want no match", r.Name, name)
				}
			}
		})
	}
}

// TestEverySampleRouted checks that every EventBridge event sample goes to
// a rule or is listed as a non-match, so a new sample does not silently stay unrouted.
func TestEverySampleRouted(t *testing.T) {
	all, err := rules.All()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no event samples found: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"detail-type"`)) {
			continue // not an EventBridge event (an API Gateway sample, say)
		}
		matched := false
		for _, r := range all {
			matched = matched || r.Match(b)
		}
		listed := false
		for _, r := range all {
			for _, n := range append(r.Samples.Match, r.Samples.NoMatch...) {
				listed = listed || n == filepath.Base(f)
			}
		}
		if !matched && !listed {
			t.Errorf("events/%s matches no rule and no rule lists it as a non-matching sample", filepath.Base(f))
		}
	}
}

func TestMatchingSkipsDisabled(t *testing.T) {
	all, err := rules.All()
	if err != nil {
		t.Fatal(err)
	}
	got := rules.Matching(all, readEvent(t, "ecr-push.json"))
	if len(got) != 1 || got[0].Target != "trigger" {
		t.Errorf("Matching(ecr-push) = %+v, want the trigger rule", got)
	}
	disabled := make([]rules.Rule, len(all))
	copy(disabled, all)
	for i := range disabled {
		if disabled[i].Name == "ecr-push" {
			disabled[i].Enabled = false
		}
	}
	if got := rules.Matching(disabled, readEvent(t, "ecr-push.json")); len(got) != 0 {
		t.Errorf("Matching(ecr-push) with the rule disabled = %d rules, want 0", len(got))
	}
	got = rules.Matching(all, readEvent(t, "alarm-state-change-alarm.json"))
	if len(got) != 1 || got[0].Target != "alarmwatch" {
		t.Errorf("Matching(alarm) = %+v, want the alarmwatch rule", got)
	}
}

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	return b
}
