package metricalarms_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/alarms/alarmstest"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/metricalarms"
)

// TestSourceContract runs the alarms.Source contract against the local
// metric alarms: each alarm watches its own service, whose traffic puts
// the alarm in the state the suite asks for after one evaluation (errors
// for ALARM, clean requests for OK, no traffic for INSUFFICIENT_DATA).
func TestSourceContract(t *testing.T) {
	alarmstest.Run(t, func(t *testing.T, want map[string]alarms.State) alarms.Source {
		var defs []metricalarms.Alarm
		for name := range want {
			defs = append(defs, metricalarms.Alarm{Name: name, Services: []string{name}, Metric: metricalarms.ErrorCount,
				Period: time.Minute, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: metricalarms.GreaterThanThreshold})
		}
		defs = append(defs, metricalarms.Alarm{Name: "unrelated", Services: []string{"unrelated"}, Metric: metricalarms.ErrorCount,
			Period: time.Minute, EvaluationPeriods: 1, ComparisonOperator: metricalarms.GreaterThanThreshold})
		metrics := metricsFunc(func(service string, from, to time.Time) (map[string]fleet.Datapoint, error) {
			switch want[service] {
			case alarms.StateAlarm:
				return map[string]fleet.Datapoint{"v2": fleet.NewDatapoint(from, to, 10, 5)}, nil
			case alarms.StateOK:
				return map[string]fleet.Datapoint{"v2": fleet.NewDatapoint(from, to, 10, 0)}, nil
			}
			return map[string]fleet.Datapoint{}, nil
		})
		eng, err := metricalarms.New(metricalarms.Config{Alarms: defs, Metrics: metrics, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		eng.Evaluate(context.Background(), t0.Add(2*time.Minute))
		return eng
	})
}
