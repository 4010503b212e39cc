// Package sfncallbacks completes Step Functions tasks that wait for a task
// token (bakes and approvals) through the aws-sdk-go-v2 sfn client. It is
// the AWS implementation of control.TaskCallbacks; the embedded engine is the
// local one. A token whose task already ended — timed out, completed, or
// never existed — is reported as *TaskEnded, an error of kind
// release.ErrConflict, so callers can tell "too late" from a failure.
package sfncallbacks
