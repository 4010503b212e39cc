// Package sfnstart starts a release's Step Functions execution. The execution
// is named after the release ID, so starting the same release twice — a
// retried Lambda, a redelivered event — never runs it twice: Step Functions
// refuses the second name and Start answers with the first execution's ARN.
package sfnstart
