// Package metricalarms is the local stack's CloudWatch: metric alarms over
// the traffic the local fleet's proxies really served, evaluated with
// CloudWatch's M-out-of-N and missing-data rules, readable as an
// alarms.Source and announced as EventBridge "CloudWatch Alarm State Change"
// events that alarms.ParseStateChange accepts.
//
// Ratios and percentiles (ErrorRate, P99Latency) are computed per version
// and the worst version counts, as a CloudWatch alarm on MAX over a metric
// with a Version dimension would: a canary at 10% whose version fails half
// its requests shows a 50% error rate, not a diluted 5%, so a small canary
// cannot hide behind the stable version's volume. Counts (RequestCount,
// 5xxCount) are summed over the alarm's services and versions. An alarm
// watches a list of services because a pipeline-level alarm name covers
// every local target of the pipeline. Per-version rates are noisy at a few
// requests per period: give canaries enough background traffic (a 10%
// canary at 50 rps sees 5 requests a second).
package metricalarms
