// Package awsdeps is the wiring of the Lambda functions. Load reads a
// function's Settings from its environment (TABLE_NAME and the function's
// own required variables), loads the AWS configuration with X-Ray on every
// client and tags the function's logger; Task wraps a typed handler (a
// control.Service method, or for record, shift and bake the Handle of
// their control.Router) with the invocation log line; Start is a main. The
// task functions (lock, record, approval, shift, hook, bake, finalize,
// rollback) are each Load, a control.Service built from Deps, and Task;
// shared/awsdeps/wiringtest
// builds such a handler against dynalite and awsfake for their tests. Deps
// builds the AWS-backed dependencies of
// control.Service from an aws.Config (Deps): the DynamoDB store, metered so
// release events become CloudWatch EMF metrics; the traffic shifters chosen
// by target type; the CloudWatch alarm source, request counter and
// canary-analysis metrics (shared/alarms/cloudwatch, the one CloudWatch
// adapter); the hook runner with its signing secret read
// through shared/auth/secretsmanager; the Step Functions task callbacks
// (shared/sfn); and the load-test result store. It holds no adapter of its
// own: each outside dependency has its package, and awsdeps only builds
// them.
package awsdeps
