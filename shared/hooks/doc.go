// Package hooks is the contract of the checks a pipeline places around
// traffic shifts: a pre-traffic hook must pass before any traffic moves to
// a candidate and a post-traffic hook after the shift completes. It holds
// what the use cases (shared/control) and hook authors need and nothing
// that calls out: the Invocation a hook receives, its Phase, the *Failed
// verdict the Lambda boundary turns into a named error the state machine
// catches, and Sign and Verify for the HMAC-SHA256 signature over a
// timestamp and the body that HTTP hooks receive. The runners that invoke
// a Lambda function or POST to an HTTP endpoint live in shared/hooks/runner.
package hooks
