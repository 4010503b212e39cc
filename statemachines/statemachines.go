// Package statemachines embeds Shipwave's Amazon States Language
// definitions and fills their ${Placeholders} the way CloudFormation's
// DefinitionSubstitutions does, so the local stack, the tests and the SAM
// template use the very same files.
package statemachines

import (
	"embed"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

//go:embed *.asl.json
var files embed.FS

// Names of the definitions, as file names under statemachines/.
const (
	Release  = "release.asl.json"
	Deploy   = "deploy.asl.json"
	LoadTest = "loadtest.asl.json"
)

// All lists every definition.
func All() []string { return []string{Release, Deploy, LoadTest} }

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Raw returns a definition with its placeholders unfilled.
func Raw(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: %w", name, err)
	}
	return b, nil
}

// Placeholders lists the distinct ${Names} a definition uses, sorted.
func Placeholders(def []byte) []string {
	var out []string
	for _, m := range placeholder.FindAllSubmatch(def, -1) {
		if n := string(m[1]); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Substitute fills every ${Name} in def from subs. A placeholder without a
// value is an error naming it (CloudFormation would reject the stack); values
// are inserted as JSON string contents, escaped.
func Substitute(def []byte, subs map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := subs[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
		return []byte(r.Replace(v))
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no value for placeholder(s) %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// Load returns a definition with its placeholders filled from subs.
func Load(name string, subs map[string]string) ([]byte, error) {
	raw, err := Raw(name)
	if err != nil {
		return nil, err
	}
	def, err := Substitute(raw, subs)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: %w", name, err)
	}
	return def, nil
}
