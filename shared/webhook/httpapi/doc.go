// Package httpapi serves a plain http.Handler as a Lambda function behind an
// API Gateway HTTP API (payload format 2.0), so the webhook, Slack and Alexa
// handlers run unchanged in Lambda and on the local loopback API. The raw
// body reaches the handler byte for byte, as signature checks need.
package httpapi
