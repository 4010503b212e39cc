// Package analysis judges a canary against its baseline, as Spinnaker
// Kayenta's NetflixACAJudge does (kayenta-judge: MannWhitneyClassifier per
// metric, then a weighted score classified by pass/marginal thresholds).
// Each metric's canary and baseline values are compared with a
// Mann-Whitney U test (midranks for ties; exact permutation p-values for
// small or two-valued samples, otherwise the tie-corrected normal
// approximation with continuity correction) and the Hodges–Lehmann shift
// with its confidence interval is recorded. Kayenta classifies a metric High
// when the interval's lower bound lies above a tolerance and the mean ratio
// reaches an effect-size threshold; here a metric is High when the
// one-sided test in its bad direction is significant at (1-Confidence)/2
// (for continuous data the same decision as the interval excluding 0, and,
// unlike the interval, still meaningful for 0/1 error indicators, whose
// shift interval collapses to 0) and the mean is worse by at least the
// metric's Effect, so a significant but tiny difference passes. Metrics
// below the minimum sample count make the judgment Inconclusive. Every
// Judgment is a JSON-encodable record of the data it used.
//
// Samples may be per request (the local fleet) or per period (CloudWatch
// datapoints, Config.PerPeriod): a per-period test compares a handful of
// period averages instead of hundreds of requests, so it needs larger
// effects or longer windows for the same power (docs/benchmarks.md
// measures it).
package analysis
