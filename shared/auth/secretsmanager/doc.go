// Package secretsmanager reads Shipwave's shared secrets (webhook secrets,
// Slack's signing secret) from AWS Secrets Manager. It implements
// auth.Secrets; wrap it in an auth.Cache so requests do not each call AWS.
package secretsmanager
