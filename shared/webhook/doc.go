// Package webhook receives GitHub and GitLab push webhooks. Its Handler is a
// plain http.Handler (mounted on the local API or, through httpapi, behind
// an API Gateway HTTP API): it verifies the provider's signature or token
// with a secret from auth.Secrets before reading anything else, drops
// delivery ids it has seen, turns push and tag-push payloads into a
// triggers.GitPush and publishes it as a "Git Push" event, so releases are
// created by the push trigger with its idempotency.
package webhook
