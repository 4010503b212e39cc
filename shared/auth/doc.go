// Package auth verifies requests that arrive from outside before anything
// reads their meaning: GitHub's X-Hub-Signature-256 HMAC, GitLab's
// X-Gitlab-Token, Slack's v0 signing secret with its five-minute replay
// window, and Alexa's certificate-chain signature with its 150-second
// timestamp rule (cheap checks before any certificate download). Only
// canonical encodings are accepted, and SlackReplayKey names what a Slack
// request signed. Failures are release.ErrUnauthorized (forged, tampered,
// unknown) or release.ErrExpired (stale) errors. The package also holds
// Secrets, a small interface for reading shared secrets, with a TTL cache;
// VerifyWithSecret tries every version of a secret being rotated and
// refetches once, rate limited, after a failed verification.
package auth
