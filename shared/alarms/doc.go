// Package alarms is how Shipwave watches a release: alarm states, the Source
// interface that reads them (CloudWatch in alarms/cloudwatch, the local
// stack's metric alarms elsewhere), the preflight check that refuses to
// deploy while any watched alarm is missing, firing or without data, and the
// parser for EventBridge "CloudWatch Alarm State Change" events that wake
// bakes up when an alarm fires.
package alarms
