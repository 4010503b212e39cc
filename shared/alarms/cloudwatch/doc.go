// Package cloudwatch is Shipwave's adapter for Amazon CloudWatch reads,
// through the aws-sdk-go-v2 client. Source reads alarm states with
// DescribeAlarms, for metric and composite alarms alike (alarms.Source).
// Requests counts the requests a candidate version served from the metrics
// AWS publishes (GetMetricStatistics), for bakes that need data
// (control.Requests).
package cloudwatch
