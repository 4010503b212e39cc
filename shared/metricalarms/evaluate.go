package metricalarms

import (
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
)

// Point is one period's datapoint; Present is false for a missing one.
type Point struct {
	Start       time.Time
	Value       float64
	SampleCount float64
	Present     bool
}

// rangeFor is how many periods an evaluation looks at: like CloudWatch, a
// few more than EvaluationPeriods, so that missing periods are replaced by
// older real datapoints before the missing-data treatment is needed.
func rangeFor(a Alarm) int { return a.EvaluationPeriods + 2 }

// outcome is the result of one evaluation.
type outcome struct {
	state     alarms.State
	reason    string
	evaluated []Point // newest first; fills are not Present
}

// decide applies CloudWatch's rules to points (oldest first, rangeFor(a)
// long or shorter) given the alarm's current state:
//   - with at least N real datapoints in the range, the newest N decide:
//     ALARM when at least M breach;
//   - with none, missing gives INSUFFICIENT_DATA, ignore keeps the current
//     state, breaching gives ALARM and notBreaching OK;
//   - with fewer than N, every real datapoint counts and the rest are
//     filled: breaching fills count against the threshold, notBreaching
//     fills do not, and with missing or ignore only the real ones are
//     evaluated, needing min(M, their number) breaching for ALARM.
func decide(a Alarm, points []Point, current alarms.State) outcome {
	n, m := a.EvaluationPeriods, a.DatapointsToAlarm
	var real []Point
	for i := len(points) - 1; i >= 0; i-- {
		if points[i].Present {
			real = append(real, points[i])
		}
	}
	if len(real) == 0 {
		reason := fmt.Sprintf("Insufficient Data: %d datapoint%s %s unknown.", len(points), plural(len(points)), wasWere(len(points)))
		switch a.TreatMissingData {
		case Breaching:
			return outcome{state: alarms.StateAlarm, reason: fmt.Sprintf("Threshold Crossed: no datapoints were received for %d period%s and %d missing datapoint%s %s treated as [Breaching].", n, plural(n), n, plural(n), wasWere(n))}
		case NotBreaching:
			return outcome{state: alarms.StateOK, reason: fmt.Sprintf("Threshold Crossed: no datapoints were received for %d period%s and %d missing datapoint%s %s treated as [NonBreaching].", n, plural(n), n, plural(n), wasWere(n))}
		case Ignore:
			if current == "" {
				current = alarms.StateInsufficientData
			}
			return outcome{state: current, reason: reason}
		}
		return outcome{state: alarms.StateInsufficientData, reason: reason}
	}
	evaluated := real
	need := m
	fills := 0
	if len(real) >= n {
		evaluated = real[:n]
	} else {
		switch a.TreatMissingData {
		case Breaching, NotBreaching:
			fills = n - len(real)
		default:
			need = min(m, len(real))
		}
	}
	breaching := 0
	for _, p := range evaluated {
		if a.breaches(p.Value) {
			breaching++
		}
	}
	if a.TreatMissingData == Breaching {
		breaching += fills
	}
	total := len(evaluated) + fills
	state := alarms.StateOK
	if breaching >= need {
		state = alarms.StateAlarm
	}
	reason := thresholdReason(a, evaluated, breaching, total, need, state, current)
	for range fills {
		evaluated = append(evaluated, Point{})
	}
	return outcome{state: state, reason: reason, evaluated: evaluated}
}

// thresholdReason words a threshold evaluation as CloudWatch does.
func thresholdReason(a Alarm, evaluated []Point, breaching, total, need int, state, current alarms.State) string {
	vals := make([]string, len(evaluated))
	for i, p := range evaluated {
		vals[i] = fmt.Sprintf("%s (%s)", formatValue(p.Value), p.Start.UTC().Format("02/01/06 15:04:05"))
	}
	count, verb := breaching, "was"
	if state == alarms.StateOK {
		count = total - breaching
		verb = "was not"
	}
	if count != 1 {
		verb = strings.Replace(verb, "was", "were", 1)
	}
	from := current
	if from == "" {
		from = alarms.StateInsufficientData
	}
	return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s) (minimum %d datapoint%s for %s -> %s transition).",
		count, total, strings.Join(vals, ", "), verb, a.phrase(), formatValue(a.Threshold), need, plural(need), from, state)
}

func formatValue(v float64) string {
	s := fmt.Sprintf("%.4g", v)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
