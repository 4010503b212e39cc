package metricalarms

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Default alarm conventions for local pipelines, chosen by the alarm name's
// suffix. Periods are one second so that a bad canary is caught within two
// to three seconds of real time; missing data is "missing", so an alarm
// without traffic stays INSUFFICIENT_DATA and the preflight check refuses to
// deploy blind until traffic flows.
//
//	*-5xx, *-errors        ErrorRate > 5 (%), 2 of 3 periods of 1s
//	*-p99, *-latency       P99Latency > 400 (ms), 2 of 3 periods of 1s
//
// The error-rate alarm looks at the worst version, so a candidate failing
// 20% of requests trips it at any weight, while a healthy version's
// occasional error does not.
var conventions = []struct {
	suffixes []string
	alarm    Alarm
}{
	{[]string{"-5xx", "-errors"}, Alarm{Metric: ErrorRate, Period: time.Second, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 5, ComparisonOperator: GreaterThanThreshold, TreatMissingData: Missing}},
	{[]string{"-p99", "-latency"}, Alarm{Metric: P99Latency, Period: time.Second, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 400, ComparisonOperator: GreaterThanThreshold, TreatMissingData: Missing}},
}

// DefaultAlarms derives a definition for every alarm name p watches on a
// local target, following the conventions above. An alarm watches the
// services of all local targets whose bakes watch it (the pipeline's alarms
// unless the wave names its own, plus the target's). It returns an
// ErrInvalid-kind error for a name no convention covers.
func DefaultAlarms(p release.Pipeline) ([]Alarm, error) {
	services := map[string]map[string]bool{}
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			base := p.Alarms
			if len(w.Alarms) > 0 {
				base = w.Alarms
			}
			for _, t := range w.Targets {
				if t.Type != release.TargetLocal {
					continue
				}
				svc := t.Service
				if svc == "" {
					svc = t.Name
				}
				for _, name := range append(append([]string(nil), base...), t.Alarms...) {
					if services[name] == nil {
						services[name] = map[string]bool{}
					}
					services[name][svc] = true
				}
			}
		}
	}
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Alarm
	for _, name := range names {
		a, ok := convention(name)
		if !ok {
			return nil, release.Errorf(release.ErrInvalid, "pipeline %s: alarm %q: local mode derives alarms from names ending in %s", p.Name, name, Suffixes())
		}
		a.Name = name
		for svc := range services[name] {
			a.Services = append(a.Services, svc)
		}
		sort.Strings(a.Services)
		a.Description = fmt.Sprintf("%s %s %v over %s (local default)", a.Metric, a.phrase(), a.Threshold, strings.Join(a.Services, ", "))
		out = append(out, a)
	}
	return out, nil
}

// Derivable reports whether local mode can derive a definition for an
// alarm of this name.
func Derivable(name string) bool {
	_, ok := convention(name)
	return ok
}

// Suffixes describes the name endings local mode derives alarms from.
func Suffixes() string {
	var all []string
	for _, c := range conventions {
		all = append(all, c.suffixes...)
	}
	return strings.Join(all[:len(all)-1], ", ") + " or " + all[len(all)-1]
}

func convention(name string) (Alarm, bool) {
	for _, c := range conventions {
		for _, s := range c.suffixes {
			if strings.HasSuffix(name, s) {
				return c.alarm, true
			}
		}
	}
	return Alarm{}, false
}
