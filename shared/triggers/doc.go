// Package triggers turns triggers into running releases. It normalizes
// CodeCommit "Repository State Change" events and Shipwave's own "Git Push"
// events (which the GitHub/GitLab webhook publishes) into a release.Trigger
// and matches it against each pipeline's branch, tag and path filters.
// Launcher is the one place where any trigger — a push, an image, chat,
// voice, a schedule, CodePipeline, the local push — creates its release
// idempotently on the trigger key and starts its state machine exactly
// once; Allow says which trigger kinds a spec admits. Everything is
// validated before anything is written, so a malformed event changes no
// stored state.
package triggers
