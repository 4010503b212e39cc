// Package triggers turns git pushes into releases. It normalizes CodeCommit
// "Repository State Change" events and Shipwave's own "Git Push" events (which
// the GitHub/GitLab webhook publishes) into a release.Trigger, matches it
// against each pipeline's branch, tag and path filters, creates the release
// idempotently and starts its state machine. Everything is validated before
// anything is written, so a malformed event changes no stored state.
package triggers
