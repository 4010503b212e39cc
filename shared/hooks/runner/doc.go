// Package runner runs pipeline hooks (shared/hooks): a Lambda function
// invoked synchronously through the aws-sdk-go-v2 Lambda client, or an HTTP
// endpoint receiving a POST signed with hooks.Sign. A hook's "no", an
// error, a timeout or an unreachable hook is returned as *hooks.Failed.
// Runner is control.Service's Hooks on AWS and in the local stack.
package runner
