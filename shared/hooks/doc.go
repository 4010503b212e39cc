// Package hooks runs the checks a pipeline places around traffic shifts: a
// pre-traffic hook must pass before any traffic moves to a candidate and a
// post-traffic hook after the shift completes. A hook is a Lambda function
// invoked synchronously or an HTTP endpoint receiving a POST signed with
// HMAC-SHA256 over a timestamp and the body (Sign and Verify are exported for
// hook authors). A hook's "no" is returned as *Failed so the Lambda boundary
// can turn it into a named error the state machine catches.
package hooks
