// Package analysis judges a canary against its baseline the way Spinnaker
// Kayenta's NetflixACAJudge does (kayenta-judge: MannWhitneyClassifier per
// metric, then a weighted score classified by pass and marginal
// thresholds, with critical metrics failing outright). Each metric's
// canary and baseline values are compared with a Mann-Whitney U test
// (midranks for ties; exact permutation p-values for small samples and for
// two-valued data, otherwise the tie-corrected normal approximation with a
// continuity correction), and the Hodges–Lehmann shift with its confidence
// interval is recorded. Kayenta calls a metric High when that interval's
// lower bound clears a tolerance and the mean ratio reaches an effect-size
// threshold. Here a metric is High when the one-sided test in its bad
// direction is significant at (1-Confidence)/2 and the canary's mean is
// worse by at least the metric's Effect. For continuous data the test and
// the interval excluding 0 are the same decision; the test also works for
// 0/1 error indicators, whose shift interval collapses to 0. Confidence
// defaults to 0.99 (Kayenta's judge uses 0.98) because several metrics
// share one false-positive budget, and outliers are kept (Kayenta can drop
// them) because slow requests are what a tail metric must see. Metrics below
// the minimum sample count make the judgment Inconclusive, and every
// Judgment is a JSON-encodable record of the data it used.
//
// Samples are per request (the local fleet) or per period (CloudWatch
// datapoints, Config.PerPeriod). A per-period test compares a handful of
// period averages instead of hundreds of requests, so it needs larger
// effects or longer windows for the same power, and tail latency mostly
// vanishes into period averages. Errors need not: a CountSource gives them
// as summed counts (Errors of Invocations per side, Samples.Counts), which
// are judged exactly as the per-request 0/1 values they stand for
// (docs/benchmarks.md measures both).
package analysis
