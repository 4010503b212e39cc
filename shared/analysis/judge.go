package analysis

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Direction says which change of a metric is bad.
type Direction string

// Directions, with Kayenta's meaning.
const (
	// Increase: the canary fails when the metric is higher (latency, errors).
	Increase Direction = "increase"
	// Decrease: the canary fails when the metric is lower (throughput).
	Decrease Direction = "decrease"
	// Either: any significant change fails.
	Either Direction = "either"
)

// Classification is one metric's outcome, with Kayenta's names.
type Classification string

// Classifications.
const (
	ClassPass   Classification = "pass"
	ClassHigh   Classification = "high"
	ClassLow    Classification = "low"
	ClassNoData Classification = "nodata"
)

// Verdict is a judgment's outcome.
type Verdict string

// Verdicts.
const (
	Pass     Verdict = "pass"
	Marginal Verdict = "marginal"
	Fail     Verdict = "fail"
	// Inconclusive means a metric's sample was below the minimum count and
	// the others do not fail the canary on their own: the bake should wait
	// for more data (or time out as its spec says).
	Inconclusive Verdict = "inconclusive"
)

// Metric is one metric to judge.
type Metric struct {
	// Name names the metric for sources (see Query.Metric) and records.
	Name      string    `json:"name"`
	Direction Direction `json:"direction"`
	// Weight is the metric's share of the score (default 1).
	Weight float64 `json:"weight"`
	// Effect is the smallest relative change of the mean that may fail the
	// metric: 0.1 means the canary's mean must be at least 10% worse than
	// the baseline's, however significant the difference (Kayenta's
	// effectSizeThresholds on its mean ratio, as ratio-1). Default 0.
	Effect float64 `json:"effect"`
	// Critical fails the whole judgment when this metric fails, whatever
	// the score (Kayenta's critical metrics).
	Critical bool `json:"critical,omitempty"`
	// SlowerThan is the latency above which a request counts as slow, for
	// MetricSlowRequests (required there, unused otherwise).
	SlowerThan time.Duration `json:"slowerThan,omitempty"`
}

// Config is one analysis.
type Config struct {
	Metrics []Metric `json:"metrics"`
	// PassScore and MarginalScore are the score thresholds (defaults 95
	// and 75, Kayenta's): a score >= PassScore passes, >= MarginalScore is
	// marginal, below fails.
	PassScore     float64 `json:"passScore"`
	MarginalScore float64 `json:"marginalScore"`
	// MinSamples is the fewest values each of canary and baseline must have
	// for a metric to be judged (default 50 per request, 5 per period).
	MinSamples int `json:"minSamples"`
	// Confidence is the two-sided confidence level of the shift interval
	// (default 0.99). A one-directional metric is significant at one-sided
	// level (1-Confidence)/2, an Either metric at two-sided 1-Confidence.
	Confidence float64 `json:"confidence"`
	// PerPeriod marks samples that are per-period aggregates (CloudWatch)
	// rather than per-request values; it changes only the default
	// MinSamples and is recorded.
	PerPeriod bool `json:"perPeriod,omitempty"`
}

// withDefaults fills defaults and validates c.
func (c Config) withDefaults() (Config, error) {
	c.Metrics = slices.Clone(c.Metrics)
	if c.PassScore == 0 {
		c.PassScore = 95
	}
	if c.MarginalScore == 0 {
		c.MarginalScore = 75
	}
	if c.MinSamples == 0 {
		c.MinSamples = 50
		if c.PerPeriod {
			c.MinSamples = 5
		}
	}
	if c.Confidence == 0 {
		c.Confidence = 0.99
	}
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, release.Errorf(release.ErrInvalid, "analysis: "+format, args...)
	}
	switch {
	case len(c.Metrics) == 0:
		return bad("metrics: at least one metric is required")
	case !(c.PassScore > 0 && c.PassScore <= 100):
		return bad("passScore %v: want (0, 100]", c.PassScore)
	case !(c.MarginalScore > 0 && c.MarginalScore <= c.PassScore):
		return bad("marginalScore %v: want (0, passScore=%v]", c.MarginalScore, c.PassScore)
	case c.MinSamples < 1:
		return bad("minSamples %d: want at least 1", c.MinSamples)
	case !(c.Confidence >= 0.5 && c.Confidence < 1):
		return bad("confidence %v: want [0.5, 1)", c.Confidence)
	}
	seen := map[string]bool{}
	for i := range c.Metrics {
		m := &c.Metrics[i]
		if m.Weight == 0 {
			m.Weight = 1
		}
		if m.Direction == "" {
			m.Direction = Increase
		}
		switch {
		case m.Name == "":
			return bad("metrics[%d]: name is empty", i)
		case seen[m.Name]:
			return bad("metrics[%d]: metric %q is listed twice", i, m.Name)
		case m.Direction != Increase && m.Direction != Decrease && m.Direction != Either:
			return bad("metrics[%d] (%s): direction %q is not increase, decrease or either", i, m.Name, m.Direction)
		case !(m.Weight > 0) || math.IsInf(m.Weight, 0):
			return bad("metrics[%d] (%s): weight %v: want a positive number", i, m.Name, m.Weight)
		case !(m.Effect >= 0) || math.IsInf(m.Effect, 0):
			return bad("metrics[%d] (%s): effect %v: want 0 or more", i, m.Name, m.Effect)
		case m.Name == MetricSlowRequests && m.SlowerThan <= 0:
			return bad("metrics[%d] (%s): slowerThan is required and must be positive", i, m.Name)
		}
		seen[m.Name] = true
	}
	return c, nil
}

// Defaults returns c with every default filled in (c unchanged when it is
// invalid: Validate says why).
func (c Config) Defaults() Config {
	d, err := c.withDefaults()
	if err != nil {
		return c
	}
	return d
}

// Validate reports the first problem with c as an ErrInvalid-kind error.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// Samples are one metric's values for the canary and the baseline.
type Samples struct {
	Canary, Baseline []float64
	// Counts, when set, replaces the values of a two-valued (0/1) metric by
	// its counts per side: how many requests had the event out of how many
	// (a per-period source's summed Errors and Invocations). The metric is
	// then judged as the per-request 0/1 values those counts stand for
	// (Fisher's exact test, as for per-request errors), not per period.
	Counts *Counts
}

// Counts are a two-valued metric's events and requests per side.
type Counts struct {
	Canary, Baseline Count
}

// Count is how many of Total requests had the event (Events <= Total).
type Count struct {
	Events int64 `json:"events"`
	Total  int64 `json:"total"`
}

// MetricResult is the record of one metric's judgment: the data it used and
// what it concluded. Every float is finite, so it encodes as JSON.
type MetricResult struct {
	Name      string    `json:"name"`
	Direction Direction `json:"direction"`
	Weight    float64   `json:"weight"`
	Critical  bool      `json:"critical,omitempty"`
	// Counts, medians and means of the two samples.
	CanaryCount    int     `json:"canaryCount"`
	BaselineCount  int     `json:"baselineCount"`
	CanaryMedian   float64 `json:"canaryMedian"`
	BaselineMedian float64 `json:"baselineMedian"`
	CanaryMean     float64 `json:"canaryMean"`
	BaselineMean   float64 `json:"baselineMean"`
	// Test is the Mann-Whitney test in the bad direction (two-sided for
	// Either); Alpha is the level P was compared with.
	Test  UTest   `json:"test"`
	Alpha float64 `json:"alpha"`
	// Shift is the Hodges–Lehmann shift (canary - baseline) with its
	// interval at the configured confidence.
	Shift Shift `json:"shift"`
	// Effect is the relative change of the mean, canaryMean/baselineMean-1;
	// nil when the baseline mean is 0 (then any increase counts as large).
	Effect *float64 `json:"effect"`
	// EffectThreshold is the metric's Effect setting.
	EffectThreshold float64 `json:"effectThreshold"`
	// Counts is set when the metric was judged from event counts (see
	// Samples.Counts); the counts and medians are then per request.
	Counts *Counts        `json:"counts,omitempty"`
	Class  Classification `json:"classification"`
	Reason string         `json:"reason"`
}

// Judgment is the record of one analysis: the verdict, the score and every
// metric's data, ready for the event log.
type Judgment struct {
	Verdict Verdict `json:"verdict"`
	// Score is the weighted percentage (0–100) of judged metrics that
	// passed; 0 when a critical metric failed or nothing could be judged.
	Score         float64        `json:"score"`
	PassScore     float64        `json:"passScore"`
	MarginalScore float64        `json:"marginalScore"`
	MinSamples    int            `json:"minSamples"`
	Confidence    float64        `json:"confidence"`
	PerPeriod     bool           `json:"perPeriod,omitempty"`
	Metrics       []MetricResult `json:"metrics"`
	Reason        string         `json:"reason"`
	// Canary, Baseline and the window are filled in by Analyze.
	Canary   string    `json:"canary,omitempty"`
	Baseline string    `json:"baseline,omitempty"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
}

// Judge classifies each metric of c from data (keyed by metric name) and
// combines the results. A metric is High (Low) when the one-sided
// Mann-Whitney test in its bad direction is significant at level
// (1-Confidence)/2 and the canary's mean is worse than the baseline's by at
// least the metric's Effect; otherwise it passes. A metric with fewer than
// MinSamples canary or baseline values is NoData, and any NoData metric
// makes the judgment Inconclusive, unless the judged metrics fail it
// whatever the missing ones would show. The score is the weighted share of
// passing metrics; a failed Critical metric fails the judgment outright.
// Judge returns an ErrInvalid-kind error for a bad config, a metric missing
// from data, or a non-finite value.
func Judge(c Config, data map[string]Samples) (Judgment, error) {
	c, err := c.withDefaults()
	if err != nil {
		return Judgment{}, err
	}
	j := Judgment{PassScore: c.PassScore, MarginalScore: c.MarginalScore, MinSamples: c.MinSamples, Confidence: c.Confidence, PerPeriod: c.PerPeriod}
	var total, passed, missing float64
	var nodata, failed, criticalFailed []string
	for _, m := range c.Metrics {
		s, ok := data[m.Name]
		if !ok {
			return Judgment{}, release.Errorf(release.ErrInvalid, "analysis: no samples for metric %q", m.Name)
		}
		if err := finite(m.Name, s); err != nil {
			return Judgment{}, err
		}
		if c := s.Counts; c != nil {
			for _, n := range []Count{c.Canary, c.Baseline} {
				if n.Events < 0 || n.Total < n.Events || n.Total > maxCount {
					return Judgment{}, release.Errorf(release.ErrInvalid, "analysis: metric %q: count %d of %d: want 0 <= events <= total <= %d", m.Name, n.Events, n.Total, int64(maxCount))
				}
			}
		}
		r := classify(c, m, s)
		j.Metrics = append(j.Metrics, r)
		switch r.Class {
		case ClassNoData:
			nodata = append(nodata, m.Name)
			missing += m.Weight
			continue
		case ClassPass:
			passed += m.Weight
		default:
			failed = append(failed, m.Name)
			if m.Critical {
				criticalFailed = append(criticalFailed, m.Name)
			}
		}
		total += m.Weight
	}
	if total > 0 {
		j.Score = round2(100 * passed / total)
	}
	switch {
	case len(criticalFailed) > 0:
		j.Score = 0
		j.Verdict = Fail
		j.Reason = fmt.Sprintf("critical metric %s failed", strings.Join(criticalFailed, ", "))
	case len(nodata) > 0 && 100*(passed+missing)/(total+missing) < c.MarginalScore:
		// Even if every metric without data passed, the score would fail.
		j.Verdict = Fail
		j.Reason = fmt.Sprintf("failed: %s; score below marginal %v even if %s, without enough data yet, passed", strings.Join(failed, ", "), c.MarginalScore, strings.Join(nodata, ", "))
	case len(nodata) > 0:
		j.Verdict = Inconclusive
		j.Reason = fmt.Sprintf("too little data for %s (minimum %d values each)", strings.Join(nodata, ", "), c.MinSamples)
	case j.Score >= c.PassScore:
		j.Verdict = Pass
		j.Reason = fmt.Sprintf("score %v >= pass %v", j.Score, c.PassScore)
	case j.Score >= c.MarginalScore:
		j.Verdict = Marginal
		j.Reason = fmt.Sprintf("score %v is marginal (pass %v, marginal %v); failed: %s", j.Score, c.PassScore, c.MarginalScore, strings.Join(failed, ", "))
	default:
		j.Verdict = Fail
		j.Reason = fmt.Sprintf("score %v < marginal %v; failed: %s", j.Score, c.MarginalScore, strings.Join(failed, ", "))
	}
	return j, nil
}

func finite(name string, s Samples) error {
	for _, vs := range [][]float64{s.Canary, s.Baseline} {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return release.Errorf(release.ErrInvalid, "analysis: metric %q: value %v is not finite", name, v)
			}
		}
	}
	return nil
}

func classify(c Config, m Metric, s Samples) MetricResult {
	r := MetricResult{
		Name: m.Name, Direction: m.Direction, Weight: m.Weight, Critical: m.Critical,
		CanaryCount: len(s.Canary), BaselineCount: len(s.Baseline), EffectThreshold: m.Effect,
	}
	if s.Counts != nil {
		r.Counts = s.Counts
		r.CanaryCount, r.BaselineCount = int(s.Counts.Canary.Total), int(s.Counts.Baseline.Total)
	}
	if r.CanaryCount < c.MinSamples || r.BaselineCount < c.MinSamples {
		r.Class = ClassNoData
		r.Reason = fmt.Sprintf("%d canary and %d baseline values; need %d each", r.CanaryCount, r.BaselineCount, c.MinSamples)
		if r.CanaryCount > 0 && r.BaselineCount > 0 {
			r.CanaryMedian, r.BaselineMedian, r.CanaryMean, r.BaselineMean = summary(s)
		}
		return r
	}
	r.CanaryMedian, r.BaselineMedian, r.CanaryMean, r.BaselineMean = summary(s)
	alt, alpha := Greater, round12((1-c.Confidence)/2)
	switch m.Direction {
	case Decrease:
		alt = Less
	case Either:
		alt, alpha = TwoSided, round12(1-c.Confidence)
	}
	r.Alpha = alpha
	if s.Counts != nil {
		r.Test = countTest(*s.Counts, alt)
		// The shift of two 0/1 samples is 0 unless most of one side is 1.
		r.Shift = Shift{Estimate: r.CanaryMedian - r.BaselineMedian, Low: r.CanaryMedian - r.BaselineMedian, High: r.CanaryMedian - r.BaselineMedian}
	} else {
		r.Test = MannWhitney(s.Canary, s.Baseline, alt)
		r.Shift = HodgesLehmann(s.Canary, s.Baseline, c.Confidence, tieTerm(s.Canary, s.Baseline))
	}
	var effect float64 // signed relative change of the mean
	switch {
	case r.BaselineMean != 0:
		effect = r.CanaryMean/r.BaselineMean - 1
		if r.BaselineMean < 0 {
			effect = -effect
		}
		e := round6(effect)
		r.Effect = &e
	case r.CanaryMean > 0:
		effect = math.Inf(1)
	case r.CanaryMean < 0:
		effect = math.Inf(-1)
	}
	significant := r.Test.P < alpha
	higher := r.Test.U > float64(r.CanaryCount)*float64(r.BaselineCount)/2
	r.Class = ClassPass
	switch {
	case !significant:
		r.Reason = fmt.Sprintf("no significant %s (p=%.4g, alpha=%.4g)", wordFor(m.Direction), r.Test.P, alpha)
	case higher && m.Direction != Decrease && effect >= m.Effect:
		r.Class = ClassHigh
		r.Reason = fmt.Sprintf("canary higher (p=%.4g < %.4g, mean %s, threshold %+.1f%%)", r.Test.P, alpha, effectText(effect), 100*m.Effect)
	case !higher && m.Direction != Increase && -effect >= m.Effect:
		r.Class = ClassLow
		r.Reason = fmt.Sprintf("canary lower (p=%.4g < %.4g, mean %s, threshold %+.1f%%)", r.Test.P, alpha, effectText(effect), -100*m.Effect)
	default:
		r.Reason = fmt.Sprintf("significant (p=%.4g) but the mean changed %s, within the effect threshold %.1f%%", r.Test.P, effectText(effect), 100*m.Effect)
	}
	return r
}

// maxCount bounds a count's total (about 4.5e15, where float64 arithmetic
// on U stays exact).
const maxCount = 1 << 52

// summary returns the medians and means of s's two sides, from its counts
// when it has them.
func summary(s Samples) (cMedian, bMedian, cMean, bMean float64) {
	if c := s.Counts; c != nil {
		side := func(n Count) (float64, float64) {
			if n.Total == 0 {
				return 0, 0
			}
			med := 0.0
			switch {
			case 2*n.Events > n.Total:
				med = 1
			case 2*n.Events == n.Total:
				med = 0.5
			}
			return med, float64(n.Events) / float64(n.Total)
		}
		cMedian, cMean = side(c.Canary)
		bMedian, bMean = side(c.Baseline)
		return cMedian, bMedian, cMean, bMean
	}
	return median(s.Canary), median(s.Baseline), mean(s.Canary), mean(s.Baseline)
}

func wordFor(d Direction) string {
	switch d {
	case Increase:
		return "increase"
	case Decrease:
		return "decrease"
	}
	return "change"
}

func effectText(effect float64) string {
	if math.IsInf(effect, 0) {
		return "from a baseline mean of 0"
	}
	return fmt.Sprintf("%+.1f%%", 100*effect)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func mean(v []float64) float64 {
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

func round2(v float64) float64  { return math.Round(v*100) / 100 }
func round6(v float64) float64  { return math.Round(v*1e6) / 1e6 }
func round12(v float64) float64 { return math.Round(v*1e12) / 1e12 }
