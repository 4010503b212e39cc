// Package cloudwatch reads alarm states from Amazon CloudWatch with
// DescribeAlarms, for metric and composite alarms alike, through the
// aws-sdk-go-v2 client. It implements alarms.Source.
package cloudwatch
