// Package tasks provides the built-in service integrations of the embedded
// States engine: Lambda (the legacy function ARN and lambda:invoke with its
// result envelope), states:startExecution with .sync and .sync:2, DynamoDB
// item operations against a real endpoint, and pluggable hooks for ECS,
// EventBridge and SNS. Each integration is a states.TaskHandler registered
// on a states.Registry by resource ARN.
package tasks
