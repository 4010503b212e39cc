// Package analysisbench measures how well canary analysis (shared/analysis)
// and the local threshold alarms (shared/metricalarms, the demo's -5xx and
// -p99 conventions) tell a bad canary from a good one, on the same
// generated per-request data: false-positive rates on A/A runs and
// detection rates on A/B runs, many seeds each. docs/benchmarks.md holds
// the table and the command that reproduces it.
package analysisbench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/metricalarms"
	"github.com/shipwave/shipwave/shared/release"
)

// The traffic every run sees: a 30 s bake (unless the scenario says
// otherwise) at 100 requests per second with the canary at 10% weight (the
// proxy routes exactly 10 of every 100), so 300 canary and 2700 baseline
// requests.
const (
	Bake          = 30 * time.Second
	RPS           = 100
	CanaryPercent = 10
	// BaseMedianMS and BaseSigma shape the baseline's lognormal latency:
	// median 50 ms, p99 about 160 ms.
	BaseMedianMS = 50.0
	BaseSigma    = 0.5
	// BaseErrorRate is the baseline's 5xx rate.
	BaseErrorRate = 0.001
	// Periods is how many per-period aggregates the per-period mode gets
	// from the bake (3 s each, like 10 one-minute CloudWatch periods of a
	// 10-minute bake).
	Periods = 10
)

// Scenario is what the canary does differently from the baseline.
type Scenario struct {
	Name string
	// Bad says a correct judge should fail the canary.
	Bad bool
	// LatencyFactor multiplies every canary latency (1 = unchanged).
	LatencyFactor float64
	// ErrorRate is the canary's 5xx rate.
	ErrorRate float64
	// TailFactor multiplies canary latencies above the baseline's 98.5th
	// percentile, which makes the canary's p99 TailFactor times the
	// baseline's and leaves the median alone.
	TailFactor float64
	// AtFloor marks a case no judge can detect often with this much data:
	// 0.5% errors on 300 requests is 1.5 errors, and even a test that knew
	// the baseline's rate exactly would need 3 of them to stay within the
	// false-positive budget, which happens in 19% of runs.
	AtFloor bool
	// Bake is the run's length; 0 means the package's Bake (30 s, 300
	// canary requests). Longer bakes measure what sample size a case
	// needs.
	Bake time.Duration
}

// bake is s's bake length.
func (s Scenario) bake() time.Duration {
	if s.Bake > 0 {
		return s.Bake
	}
	return Bake
}

// CanaryRequests is how many requests the canary serves in s's bake.
func (s Scenario) CanaryRequests() int {
	return int(s.bake().Seconds()) * RPS * CanaryPercent / 100
}

// Scenarios are the cases of issue 14.
var Scenarios = []Scenario{
	{Name: "A/A (same version)", LatencyFactor: 1, ErrorRate: BaseErrorRate, TailFactor: 1},
	{Name: "latency +20%", Bad: true, LatencyFactor: 1.2, ErrorRate: BaseErrorRate, TailFactor: 1},
	{Name: "latency +50%", Bad: true, LatencyFactor: 1.5, ErrorRate: BaseErrorRate, TailFactor: 1},
	{Name: "error rate 0.5%", Bad: true, LatencyFactor: 1, ErrorRate: 0.005, TailFactor: 1, AtFloor: true},
	{Name: "error rate 2%", Bad: true, LatencyFactor: 1, ErrorRate: 0.02, TailFactor: 1},
	{Name: "slow tail (p99 x3)", Bad: true, LatencyFactor: 1, ErrorRate: BaseErrorRate, TailFactor: 3},
}

// SampleSizeScenarios measure what error rates need: the same cases with
// longer bakes (more canary requests), and A/A at the longest, since the
// threshold alarms get more chances to fire falsely as a bake grows.
var SampleSizeScenarios = []Scenario{
	{Name: "A/A, 3000 canary requests", LatencyFactor: 1, ErrorRate: BaseErrorRate, TailFactor: 1, Bake: 300 * time.Second},
	{Name: "error rate 0.5%, 1000 canary requests", Bad: true, LatencyFactor: 1, ErrorRate: 0.005, TailFactor: 1, Bake: 100 * time.Second},
	{Name: "error rate 0.5%, 3000 canary requests", Bad: true, LatencyFactor: 1, ErrorRate: 0.005, TailFactor: 1, Bake: 300 * time.Second},
	{Name: "error rate 2%, 1000 canary requests", Bad: true, LatencyFactor: 1, ErrorRate: 0.02, TailFactor: 1, Bake: 100 * time.Second},
}

// PerRequestConfig is the analysis the benchmark judges per-request data
// with: latency (+10% effect), errors and slow requests (over the p99
// alarm's 400 ms), Kayenta's default score thresholds, 99% confidence.
var PerRequestConfig = analysis.Config{Metrics: []analysis.Metric{
	{Name: analysis.MetricLatency, Direction: analysis.Increase, Effect: 0.1},
	{Name: analysis.MetricErrors, Direction: analysis.Increase, Effect: 0.5},
	{Name: analysis.MetricSlowRequests, Direction: analysis.Increase, Effect: 0.5, SlowerThan: 400 * time.Millisecond},
}}

// PerPeriodConfig is the analysis of per-period aggregates (what CloudWatch
// gives): period mean latency, and errors from the periods' summed counts.
var PerPeriodConfig = analysis.Config{PerPeriod: true, Metrics: []analysis.Metric{
	{Name: analysis.MetricLatency, Direction: analysis.Increase, Effect: 0.1},
	{Name: analysis.MetricErrors, Direction: analysis.Increase, Effect: 0.5},
}}

// Request is one generated request.
type Request struct {
	at      time.Duration // since the bake started
	canary  bool
	latency float64 // ms
	failed  bool
}

var tailCut = BaseMedianMS * math.Exp(BaseSigma*2.1700903775845606) // baseline p98.5

// Generate returns one run's requests for s with seed.
func Generate(s Scenario, seed uint64) []Request {
	rng := rand.New(rand.NewPCG(seed, 0x5eed^seed*0x9e3779b97f4a7c15))
	n := int(s.bake().Seconds()) * RPS
	out := make([]Request, n)
	for i := range out {
		r := Request{at: time.Duration(i) * time.Second / RPS, canary: i%100 < CanaryPercent}
		r.latency = BaseMedianMS * math.Exp(BaseSigma*rng.NormFloat64())
		rate := BaseErrorRate
		if r.canary {
			if r.latency > tailCut {
				r.latency *= s.TailFactor
			}
			r.latency *= s.LatencyFactor
			rate = s.ErrorRate
		}
		r.failed = rng.Float64() < rate
		out[i] = r
	}
	return out
}

// Outcome is what each judge concluded on one run.
type Outcome struct {
	PerRequest, PerPeriod analysis.Verdict
	// Alarm is true when a threshold alarm went to ALARM during the bake.
	Alarm bool
}

// Judge runs the three judges on reqs, a bake of length bake.
func Judge(reqs []Request, bake time.Duration) (Outcome, error) {
	var o Outcome
	var c, b [3][]float64 // latency, errors, slow
	for _, r := range reqs {
		vals := [3]float64{r.latency, bool01(r.failed), bool01(r.latency > 400)}
		for k := range vals {
			if r.canary {
				c[k] = append(c[k], vals[k])
			} else {
				b[k] = append(b[k], vals[k])
			}
		}
	}
	j, err := analysis.Judge(PerRequestConfig, map[string]analysis.Samples{
		analysis.MetricLatency:      {Canary: c[0], Baseline: b[0]},
		analysis.MetricErrors:       {Canary: c[1], Baseline: b[1]},
		analysis.MetricSlowRequests: {Canary: c[2], Baseline: b[2]},
	})
	if err != nil {
		return o, err
	}
	o.PerRequest = j.Verdict
	// Per period, as the CloudWatch source gives them: period mean
	// latencies, and errors as the summed Errors and Invocations counts.
	pc := perPeriod(reqs, bake, true)
	pb := perPeriod(reqs, bake, false)
	j, err = analysis.Judge(PerPeriodConfig, map[string]analysis.Samples{
		analysis.MetricLatency: {Canary: pc[0], Baseline: pb[0]},
		analysis.MetricErrors:  {Counts: errorCounts(reqs)},
	})
	if err != nil {
		return o, err
	}
	o.PerPeriod = j.Verdict
	o.Alarm, err = alarmFires(reqs, bake)
	return o, err
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// errorCounts sums the failed and all requests per side.
func errorCounts(reqs []Request) *analysis.Counts {
	var c analysis.Counts
	for _, r := range reqs {
		n := &c.Baseline
		if r.canary {
			n = &c.Canary
		}
		n.Total++
		if r.failed {
			n.Events++
		}
	}
	return &c
}

// perPeriod returns the mean latency and error rate of each period.
func perPeriod(reqs []Request, bake time.Duration, canary bool) [2][]float64 {
	var sum, fails, count [Periods]float64
	width := bake / Periods
	for _, r := range reqs {
		if r.canary != canary {
			continue
		}
		k := int(r.at / width)
		sum[k] += r.latency
		fails[k] += bool01(r.failed)
		count[k]++
	}
	var out [2][]float64
	for k := range Periods {
		if count[k] > 0 {
			out[0] = append(out[0], sum[k]/count[k])
			out[1] = append(out[1], fails[k]/count[k])
		}
	}
	return out
}

// bakeStart is where the generated bake sits on the alarms' clock.
var bakeStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// runMetrics serves reqs to the metric alarms as the fleet's proxy would
// record them.
type runMetrics struct {
	sorted []Request
}

func (m runMetrics) MetricsByVersion(_ string, from, to time.Time) (map[string]fleet.Datapoint, error) {
	lo := sort.Search(len(m.sorted), func(i int) bool { return !bakeStart.Add(m.sorted[i].at).Before(from) })
	type acc struct {
		n, e int64
		lat  []time.Duration
	}
	var v [2]acc
	for _, r := range m.sorted[lo:] {
		if !bakeStart.Add(r.at).Before(to) {
			break
		}
		a := &v[0]
		if r.canary {
			a = &v[1]
		}
		a.n++
		if r.failed {
			a.e++
		}
		a.lat = append(a.lat, time.Duration(r.latency*float64(time.Millisecond)))
	}
	out := map[string]fleet.Datapoint{}
	for i, name := range []string{"v1", "v2"} {
		if v[i].n > 0 {
			out[name] = fleet.NewDatapoint(from, to, v[i].n, v[i].e, v[i].lat...)
		}
	}
	return out, nil
}

// Alarms are the local stack's alarms for a pipeline watching demo-5xx and
// demo-p99, derived by metricalarms.DefaultAlarms exactly as `local up`
// derives them.
func Alarms() ([]metricalarms.Alarm, error) {
	p := release.Pipeline{Name: "bench", Alarms: []string{"demo-5xx", "demo-p99"}, Stages: []release.Stage{{
		Name: "prod", Waves: []release.Wave{{Name: "one-box", Targets: []release.Target{{Type: release.TargetLocal, Service: "svc"}}}},
	}}}
	return metricalarms.DefaultAlarms(p)
}

// alarmFires evaluates the alarms once per second through the bake.
func alarmFires(reqs []Request, bake time.Duration) (bool, error) {
	defs, err := Alarms()
	if err != nil {
		return false, err
	}
	e, err := metricalarms.New(metricalarms.Config{
		Alarms:  defs,
		Metrics: runMetrics{sorted: reqs},
		Now:     func() time.Time { return bakeStart },
	})
	if err != nil {
		return false, err
	}
	states := make([]string, 0, len(defs))
	for _, a := range defs {
		states = append(states, a.Name)
	}
	for t := time.Second; t <= bake; t += time.Second {
		e.Evaluate(context.Background(), bakeStart.Add(t))
		st, _ := e.States(context.Background(), states)
		for _, s := range st {
			if s == alarms.StateAlarm {
				return true, nil
			}
		}
	}
	return false, nil
}

// Rates are one scenario's results over many seeds, as percentages.
type Rates struct {
	Scenario              Scenario
	Seeds                 int
	PerRequest, PerPeriod float64 // share judged Fail
	Alarm                 float64 // share with an alarm in ALARM
	PerRequestMarginal    float64 // share judged Marginal or Inconclusive
}

// Seed ranges. Anything tuned on the benchmark (the judge's defaults, the
// configs above, the mid-p) was tuned on TuneSeeds, which `make test` also
// runs; docs/benchmarks.md reports ReportSeeds, which nothing was tuned on.
const (
	TuneSeeds   uint64 = 1
	ReportSeeds uint64 = 1_000_000
)

// Measure runs s over seeds first, first+1, ….
func Measure(s Scenario, first uint64, seeds int) (Rates, error) {
	r := Rates{Scenario: s, Seeds: seeds}
	for i := range seeds {
		o, err := Judge(Generate(s, first+uint64(i)), s.bake())
		if err != nil {
			return r, fmt.Errorf("%s seed %d: %w", s.Name, first+uint64(i), err)
		}
		if o.PerRequest == analysis.Fail {
			r.PerRequest++
		} else if o.PerRequest != analysis.Pass {
			r.PerRequestMarginal++
		}
		if o.PerPeriod == analysis.Fail {
			r.PerPeriod++
		}
		if o.Alarm {
			r.Alarm++
		}
	}
	for _, p := range []*float64{&r.PerRequest, &r.PerPeriod, &r.Alarm, &r.PerRequestMarginal} {
		*p = 100 * *p / float64(seeds)
	}
	return r, nil
}
