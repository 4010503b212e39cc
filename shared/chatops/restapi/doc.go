// Package restapi is the HTTP API face of chatops: status, history, deploy,
// approve, reject and roll back as JSON endpoints, for tools and the local
// stack. It trusts no identity in the request body: the caller comes from a
// Caller function (the header API Gateway's authorizer fills, through
// httpapi, on AWS), and the same allow-lists as Slack and Alexa apply.
package restapi
