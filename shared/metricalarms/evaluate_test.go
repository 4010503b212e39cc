package metricalarms

import (
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
)

// pts turns a CloudWatch-guide style row such as "0 - X - X" (oldest first;
// X breaching, 0 not breaching, - missing) into points for threshold 5.
func pts(t testing.TB, row string) []Point {
	t.Helper()
	base := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	var out []Point
	for i, f := range strings.Fields(row) {
		p := Point{Start: base.Add(time.Duration(i) * time.Second)}
		switch f {
		case "X":
			p.Value, p.SampleCount, p.Present = 10, 20, true
		case "0":
			p.Value, p.SampleCount, p.Present = 1, 20, true
		case "-":
		default:
			t.Fatalf("bad row token %q", f)
		}
		out = append(out, p)
	}
	return out
}

func TestDecideMissingDataTable(t *testing.T) {
	// The rows of the CloudWatch user guide's missing-data table, for an
	// alarm of 3 evaluation periods and 3 datapoints to alarm, with each
	// treatment; "keep" means the current state is retained.
	const (
		ok    = alarms.StateOK
		alarm = alarms.StateAlarm
		insuf = alarms.StateInsufficientData
		keep  = alarms.State("keep")
	)
	rows := []struct {
		row                                   string
		missing, ignore, breaching, notBreach alarms.State
	}{
		{"0 - X - X", ok, ok, ok, ok},
		{"- - - - 0", ok, ok, ok, ok},
		{"- - - - -", insuf, keep, alarm, ok},
		{"0 X X - X", alarm, alarm, alarm, alarm},
		{"- - X - -", alarm, alarm, alarm, ok},
	}
	for _, r := range rows {
		for _, tc := range []struct {
			treat MissingData
			want  alarms.State
		}{{Missing, r.missing}, {Ignore, r.ignore}, {Breaching, r.breaching}, {NotBreaching, r.notBreach}} {
			for _, current := range []alarms.State{alarms.StateOK, alarms.StateAlarm} {
				name := r.row + "/" + string(tc.treat) + "/from " + string(current)
				t.Run(name, func(t *testing.T) {
					a := Alarm{Name: "a", Services: []string{"s"}, Metric: ErrorRate, Period: time.Second, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 5, ComparisonOperator: GreaterThanThreshold, TreatMissingData: tc.treat}
					want := tc.want
					if want == keep {
						want = current
					}
					got := decide(a, pts(t, r.row), current)
					if got.state != want {
						t.Errorf("got %s (%s), want %s", got.state, got.reason, want)
					}
				})
			}
		}
	}
}

func TestDecideMOfN(t *testing.T) {
	tests := []struct {
		name string
		row  string
		n, m int
		op   Comparison
		want alarms.State
	}{
		{name: "2 of 3, two breach", row: "- - X 0 X", n: 3, m: 2, op: GreaterThanThreshold, want: alarms.StateAlarm},
		{name: "2 of 3, one breach", row: "X X 0 0 X", n: 3, m: 2, op: GreaterThanThreshold, want: alarms.StateOK},
		{name: "2 of 3, older breaches fall out", row: "X X 0 0 0", n: 3, m: 2, op: GreaterThanThreshold, want: alarms.StateOK},
		{name: "1 of 1, newest breaches", row: "0 0 X", n: 1, m: 1, op: GreaterThanThreshold, want: alarms.StateAlarm},
		{name: "missing points replaced by older real ones", row: "X X - - 0", n: 3, m: 2, op: GreaterThanThreshold, want: alarms.StateAlarm},
		{name: "less than: low values breach", row: "0 0 0 0 0", n: 3, m: 3, op: LessThanThreshold, want: alarms.StateAlarm},
		{name: "less than: high values do not", row: "X X X X X", n: 3, m: 1, op: LessThanOrEqualToThreshold, want: alarms.StateOK},
		{name: "greater or equal", row: "X X X", n: 2, m: 2, op: GreaterThanOrEqualToThreshold, want: alarms.StateAlarm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Alarm{Name: "a", Services: []string{"s"}, Metric: ErrorRate, Period: time.Second, EvaluationPeriods: tt.n, DatapointsToAlarm: tt.m, Threshold: 5, ComparisonOperator: tt.op, TreatMissingData: Missing}
			if got := decide(a, pts(t, tt.row), alarms.StateOK); got.state != tt.want {
				t.Errorf("got %s (%s), want %s", got.state, got.reason, tt.want)
			}
		})
	}
}

func TestDecideEqualThreshold(t *testing.T) {
	p := []Point{{Value: 5, Present: true, SampleCount: 1}}
	tests := []struct {
		op   Comparison
		want alarms.State
	}{
		{GreaterThanThreshold, alarms.StateOK},
		{GreaterThanOrEqualToThreshold, alarms.StateAlarm},
		{LessThanThreshold, alarms.StateOK},
		{LessThanOrEqualToThreshold, alarms.StateAlarm},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			a := Alarm{EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 5, ComparisonOperator: tt.op, TreatMissingData: Missing}
			if got := decide(a, p, alarms.StateOK); got.state != tt.want {
				t.Errorf("value 5 vs threshold 5 with %s: got %s, want %s", tt.op, got.state, tt.want)
			}
		})
	}
}

func TestReasonWording(t *testing.T) {
	a := Alarm{Name: "a", EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 5, ComparisonOperator: GreaterThanThreshold, TreatMissingData: Missing}
	got := decide(a, pts(t, "0 X 0 X"), alarms.StateOK)
	want := "Threshold Crossed: 2 out of the last 3 datapoints [10.0 (10/03/26 14:00:03), 1.0 (10/03/26 14:00:02), 10.0 (10/03/26 14:00:01)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition)."
	if got.reason != want {
		t.Errorf("reason\n got %s\nwant %s", got.reason, want)
	}
}
