// Package sfncallbacks completes waiting Step Functions tasks (approval
// gates, bakes) through the Step Functions callback API, for the Lambda
// functions that decide outside the state machine: Slack and Alexa. It
// implements control.TaskCallbacks and chatops.Callbacks.
package sfncallbacks
