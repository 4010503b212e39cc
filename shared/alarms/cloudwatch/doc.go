// Package cloudwatch is Shipwave's one adapter for Amazon CloudWatch reads,
// through the aws-sdk-go-v2 client. Source reads alarm states with
// DescribeAlarms, for metric and composite alarms alike (alarms.Source).
// Requests counts the requests a candidate version served from the metrics
// AWS publishes (GetMetricStatistics), for bakes that need data
// (control.Requests). Metrics reads per-period statistics for canary
// analysis (GetMetricData) of a Lambda alias's versions or an ALB's target
// groups (analysis.Source); CloudWatch keeps no per-request values, so each
// value is one period's average latency or error rate.
package cloudwatch
