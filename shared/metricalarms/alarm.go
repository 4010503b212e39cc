package metricalarms

import (
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Metric names what an alarm measures, per period.
type Metric string

// Metrics.
const (
	// RequestCount is the number of completed requests (Sum).
	RequestCount Metric = "RequestCount"
	// ErrorCount is the number of 5xx responses (Sum).
	ErrorCount Metric = "5xxCount"
	// ErrorRate is the percentage (0–100) of 5xx responses of the worst
	// version.
	ErrorRate Metric = "ErrorRate"
	// P99Latency is the 99th percentile latency of the worst version, in
	// milliseconds.
	P99Latency Metric = "P99Latency"
)

// Comparison is how a datapoint is compared with the threshold, with
// CloudWatch's names.
type Comparison string

// Comparison operators.
const (
	GreaterThanThreshold          Comparison = "GreaterThanThreshold"
	GreaterThanOrEqualToThreshold Comparison = "GreaterThanOrEqualToThreshold"
	LessThanThreshold             Comparison = "LessThanThreshold"
	LessThanOrEqualToThreshold    Comparison = "LessThanOrEqualToThreshold"
)

// MissingData is how periods without data are treated, with CloudWatch's
// names.
type MissingData string

// Missing-data treatments.
const (
	// Missing (the default) ignores missing periods while there are real
	// datapoints and goes to INSUFFICIENT_DATA when every period is missing.
	Missing MissingData = "missing"
	// NotBreaching fills missing periods with good datapoints.
	NotBreaching MissingData = "notBreaching"
	// Breaching fills missing periods with bad datapoints.
	Breaching MissingData = "breaching"
	// Ignore is Missing, except that an alarm whose periods are all missing
	// keeps its state.
	Ignore MissingData = "ignore"
)

// Alarm is one metric alarm.
type Alarm struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Services are the fleet services whose traffic the alarm watches.
	Services []string `json:"services"`
	Metric   Metric   `json:"metric"`
	// Stat is the statistic's CloudWatch name, reported in events; it
	// follows from Metric (Sum, Average or p99) and is filled in when empty.
	Stat              string        `json:"stat,omitempty"`
	Period            time.Duration `json:"period"`
	EvaluationPeriods int           `json:"evaluationPeriods"`
	// DatapointsToAlarm is M of "M out of N"; 0 means EvaluationPeriods.
	DatapointsToAlarm  int         `json:"datapointsToAlarm,omitempty"`
	Threshold          float64     `json:"threshold"`
	ComparisonOperator Comparison  `json:"comparisonOperator"`
	TreatMissingData   MissingData `json:"treatMissingData,omitempty"`
}

// MinPeriod is the shortest alarm period; periods are whole seconds.
const MinPeriod = time.Second

// normalize fills defaults and validates a, returning an ErrInvalid-kind
// error naming the bad field.
func (a Alarm) normalize() (Alarm, error) {
	bad := func(format string, args ...any) (Alarm, error) {
		return Alarm{}, release.Errorf(release.ErrInvalid, "alarm %q: %s", a.Name, fmt.Sprintf(format, args...))
	}
	if a.Stat == "" {
		a.Stat = statOf(a.Metric)
	}
	if a.DatapointsToAlarm == 0 {
		a.DatapointsToAlarm = a.EvaluationPeriods
	}
	if a.TreatMissingData == "" {
		a.TreatMissingData = Missing
	}
	switch {
	case a.Name == "":
		return bad("name is empty")
	case len(a.Services) == 0:
		return bad("services: at least one service is required")
	case statOf(a.Metric) == "":
		return bad("metric %q is not RequestCount, 5xxCount, ErrorRate or P99Latency", a.Metric)
	case a.Period < MinPeriod || a.Period%MinPeriod != 0:
		return bad("period %v: want a whole number of seconds, at least 1s", a.Period)
	case a.EvaluationPeriods < 1:
		return bad("evaluationPeriods %d: want at least 1", a.EvaluationPeriods)
	case a.DatapointsToAlarm < 1 || a.DatapointsToAlarm > a.EvaluationPeriods:
		return bad("datapointsToAlarm %d: want 1–%d (evaluationPeriods)", a.DatapointsToAlarm, a.EvaluationPeriods)
	case a.Threshold != a.Threshold:
		return bad("threshold is NaN")
	}
	switch a.ComparisonOperator {
	case GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold:
	default:
		return bad("comparisonOperator %q is not GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold or LessThanOrEqualToThreshold", a.ComparisonOperator)
	}
	switch a.TreatMissingData {
	case Missing, NotBreaching, Breaching, Ignore:
	default:
		return bad("treatMissingData %q is not missing, notBreaching, breaching or ignore", a.TreatMissingData)
	}
	return a, nil
}

func statOf(m Metric) string {
	switch m {
	case RequestCount, ErrorCount:
		return "Sum"
	case ErrorRate:
		return "Average"
	case P99Latency:
		return "p99"
	}
	return ""
}

// breaches reports whether value crosses a's threshold.
func (a Alarm) breaches(value float64) bool {
	switch a.ComparisonOperator {
	case GreaterThanThreshold:
		return value > a.Threshold
	case GreaterThanOrEqualToThreshold:
		return value >= a.Threshold
	case LessThanThreshold:
		return value < a.Threshold
	}
	return value <= a.Threshold
}

// phrase is the comparison in CloudWatch's reason wording.
func (a Alarm) phrase() string {
	switch a.ComparisonOperator {
	case GreaterThanThreshold:
		return "greater than"
	case GreaterThanOrEqualToThreshold:
		return "greater than or equal to"
	case LessThanThreshold:
		return "less than"
	}
	return "less than or equal to"
}
