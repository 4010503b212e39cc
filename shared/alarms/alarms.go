package alarms

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// State is an alarm's state, with CloudWatch's values.
type State string

// Alarm states.
const (
	StateOK               State = "OK"
	StateAlarm            State = "ALARM"
	StateInsufficientData State = "INSUFFICIENT_DATA"
)

// Valid reports whether s is one of the three alarm states.
func (s State) Valid() bool {
	switch s {
	case StateOK, StateAlarm, StateInsufficientData:
		return true
	}
	return false
}

// Source reads alarm states.
type Source interface {
	// States returns the state of every named alarm that exists; names of
	// alarms that do not exist are absent from the map. It returns an error
	// only when the states could not be read.
	States(ctx context.Context, names []string) (map[string]State, error)
}

// Problem is why one alarm fails the preflight check.
type Problem struct {
	Alarm string
	// State is the alarm's state, or empty when the alarm does not exist.
	State State
}

func (p Problem) String() string {
	switch p.State {
	case "":
		return p.Alarm + " does not exist"
	case StateAlarm:
		return p.Alarm + " is in ALARM"
	case StateInsufficientData:
		return p.Alarm + " has INSUFFICIENT_DATA"
	}
	return fmt.Sprintf("%s is %s", p.Alarm, p.State)
}

// NotReady is the error Preflight returns when alarms are not fit to watch a
// deployment. It matches release.ErrConflict with errors.Is.
type NotReady struct {
	Problems []Problem
}

func (e *NotReady) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "alarm preflight: refusing to deploy blind: " + strings.Join(parts, "; ")
}

// Unwrap makes NotReady match release.ErrConflict.
func (e *NotReady) Unwrap() error { return release.ErrConflict }

// Preflight checks that every named alarm exists and is OK: a missing alarm,
// one without data or one already in ALARM could not tell a bad deployment
// from a good one. It returns a *NotReady listing every bad alarm (sorted by
// name), or the Source's error wrapped with context.
func Preflight(ctx context.Context, src Source, names []string) error {
	uniq := dedupe(names)
	if len(uniq) == 0 {
		return nil
	}
	states, err := src.States(ctx, uniq)
	if err != nil {
		return fmt.Errorf("alarm preflight: read %d alarms: %w", len(uniq), err)
	}
	var bad []Problem
	for _, n := range uniq {
		st, ok := states[n]
		switch {
		case !ok:
			bad = append(bad, Problem{Alarm: n})
		case st != StateOK:
			bad = append(bad, Problem{Alarm: n, State: st})
		}
	}
	if len(bad) > 0 {
		return &NotReady{Problems: bad}
	}
	return nil
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
