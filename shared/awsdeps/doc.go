// Package awsdeps builds the AWS-backed dependencies of control.Service
// from an aws.Config: the DynamoDB store (metered, so release events become
// CloudWatch EMF metrics), the traffic shifters chosen by target type, the
// CloudWatch alarm source, the hook runner, the Step Functions task
// callbacks and the load-test result source. Every client it builds carries
// the X-Ray instrumentation Config adds. Functions' mains use it so the
// wiring is written once.
package awsdeps
