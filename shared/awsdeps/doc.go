// Package awsdeps is the wiring of the Lambda functions: it loads the AWS
// configuration (with X-Ray on every client, Config), reads required
// environment variables (Env), and builds the AWS-backed dependencies of
// control.Service from an aws.Config (Deps): the DynamoDB store, metered so
// release events become CloudWatch EMF metrics; the traffic shifters chosen
// by target type; the CloudWatch alarm source and request counter
// (shared/alarms/cloudwatch); the hook runner with its signing secret read
// through shared/auth/secretsmanager; the Step Functions task callbacks
// (shared/sfn); and the load-test result store. It holds no adapter of its
// own: each outside dependency has its package, and awsdeps only builds
// them.
package awsdeps
