// Package alarmstest is the contract suite for alarms.Source: CloudWatch
// (shared/alarms/cloudwatch, on awsfake) and the local metric alarms
// (shared/metricalarms) both run Run, so a preflight check or a bake reads
// alarm states the same way on AWS and locally.
package alarmstest

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/shipwave/shipwave/shared/alarms"
)

// NewFunc returns a fresh source holding exactly the alarms of want, each in
// its state.
type NewFunc func(t *testing.T, want map[string]alarms.State) alarms.Source

// Run runs the contract.
func Run(t *testing.T, newSource NewFunc) {
	ctx := context.Background()
	three := map[string]alarms.State{
		"orders-5xx":     alarms.StateAlarm,
		"orders-p99":     alarms.StateOK,
		"orders-traffic": alarms.StateInsufficientData,
	}
	t.Run("StatesOfExistingAlarmsMissingOnesAbsent", func(t *testing.T) {
		src := newSource(t, three)
		got, err := src.States(ctx, []string{"orders-5xx", "orders-p99", "orders-traffic", "orders-gone"})
		if err != nil {
			t.Fatalf("States: %v", err)
		}
		if !maps.Equal(got, three) {
			t.Errorf("States = %v, want %v (no entry for orders-gone)", got, three)
		}
	})
	t.Run("OnlyTheNamedAlarms", func(t *testing.T) {
		src := newSource(t, three)
		got, err := src.States(ctx, []string{"orders-p99"})
		if err != nil {
			t.Fatalf("States: %v", err)
		}
		if want := map[string]alarms.State{"orders-p99": alarms.StateOK}; !maps.Equal(got, want) {
			t.Errorf("States = %v, want %v", got, want)
		}
	})
	t.Run("NoNamesNoStates", func(t *testing.T) {
		src := newSource(t, three)
		got, err := src.States(ctx, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("States(nil) = %v, %v; want an empty map and no error", got, err)
		}
	})
	t.Run("RepeatedNamesOnce", func(t *testing.T) {
		src := newSource(t, three)
		got, err := src.States(ctx, []string{"orders-5xx", "orders-5xx", "orders-p99", "orders-5xx"})
		if err != nil {
			t.Fatalf("States: %v", err)
		}
		if want := map[string]alarms.State{"orders-5xx": alarms.StateAlarm, "orders-p99": alarms.StateOK}; !maps.Equal(got, want) {
			t.Errorf("States = %v, want %v", got, want)
		}
	})
	// More names than one CloudWatch DescribeAlarms call takes.
	t.Run("ManyAlarms", func(t *testing.T) {
		many := map[string]alarms.State{}
		var names []string
		for i := range 130 {
			name := fmt.Sprintf("svc-%03d-5xx", i)
			many[name] = []alarms.State{alarms.StateOK, alarms.StateAlarm}[i%2]
			names = append(names, name)
		}
		src := newSource(t, many)
		got, err := src.States(ctx, names)
		if err != nil {
			t.Fatalf("States: %v", err)
		}
		if !maps.Equal(got, many) {
			t.Errorf("States returned %d alarms, want all %d in their states", len(got), len(many))
		}
	})
}
