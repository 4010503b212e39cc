// Package sfn is Shipwave's adapter for AWS Step Functions, through the
// aws-sdk-go-v2 sfn client.
//
// Starter starts a release's execution (triggers.Starter). The execution is
// named after the release ID, so starting the same release twice — a
// retried Lambda, a redelivered event — never runs it twice: Step Functions
// refuses the second name and Start answers with the first execution's ARN.
// InputOf is the execution input; the local engine's starter sends the same.
//
// Callbacks completes tasks that wait for a task token (bakes and
// approvals): the AWS implementation of control.TaskCallbacks, the embedded
// engine (shared/states) being the local one. A token whose task already
// ended — timed out, completed, or never existed — is reported as
// *TaskEnded, an error of kind release.ErrConflict, so callers can tell
// "too late" from a failure.
package sfn
