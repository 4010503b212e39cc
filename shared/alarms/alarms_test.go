package alarms_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/release"
)

// sourceFunc adapts a function to alarms.Source.
type sourceFunc func(ctx context.Context, names []string) (map[string]alarms.State, error)

func (f sourceFunc) States(ctx context.Context, names []string) (map[string]alarms.State, error) {
	return f(ctx, names)
}

func staticSource(states map[string]alarms.State) alarms.Source {
	return sourceFunc(func(_ context.Context, names []string) (map[string]alarms.State, error) {
		out := map[string]alarms.State{}
		for _, n := range names {
			if s, ok := states[n]; ok {
				out[n] = s
			}
		}
		return out, nil
	})
}

func TestPreflight(t *testing.T) {
	src := staticSource(map[string]alarms.State{
		"ok-1":    alarms.StateOK,
		"ok-2":    alarms.StateOK,
		"firing":  alarms.StateAlarm,
		"no-data": alarms.StateInsufficientData,
	})
	tests := []struct {
		name         string
		alarms       []string
		wantProblems []alarms.Problem
		wantText     string
	}{
		{name: "all ok", alarms: []string{"ok-1", "ok-2", "ok-1"}},
		{name: "no alarms", alarms: nil},
		{
			name:   "every kind of problem",
			alarms: []string{"ok-1", "no-data", "missing", "firing"},
			wantProblems: []alarms.Problem{
				{Alarm: "firing", State: alarms.StateAlarm},
				{Alarm: "missing"},
				{Alarm: "no-data", State: alarms.StateInsufficientData},
			},
			wantText: "refusing to deploy blind: firing is in ALARM; missing does not exist; no-data has INSUFFICIENT_DATA",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := alarms.Preflight(context.Background(), src, tt.alarms)
			if tt.wantProblems == nil {
				if err != nil {
					t.Fatalf("Preflight = %v, want nil", err)
				}
				return
			}
			var nr *alarms.NotReady
			if !errors.As(err, &nr) {
				t.Fatalf("Preflight = %v, want *NotReady", err)
			}
			if len(nr.Problems) != len(tt.wantProblems) {
				t.Fatalf("problems = %+v, want %+v", nr.Problems, tt.wantProblems)
			}
			for i := range nr.Problems {
				if nr.Problems[i] != tt.wantProblems[i] {
					t.Errorf("problem %d = %+v, want %+v", i, nr.Problems[i], tt.wantProblems[i])
				}
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if !errors.Is(err, release.ErrConflict) {
				t.Errorf("error %v does not match release.ErrConflict", err)
			}
		})
	}
}

func TestPreflightSourceFailure(t *testing.T) {
	boom := errors.New("describe alarms: throttled")
	src := sourceFunc(func(context.Context, []string) (map[string]alarms.State, error) { return nil, boom })
	err := alarms.Preflight(context.Background(), src, []string{"a"})
	var nr *alarms.NotReady
	if !errors.Is(err, boom) || errors.As(err, &nr) {
		t.Errorf("Preflight = %v, want the source error wrapped, not NotReady", err)
	}
}
