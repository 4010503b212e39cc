// Package observe sets up what Shipwave's Lambda functions tell operators:
// JSON logs (log/slog) that carry the Lambda request id and the release,
// pipeline, stage, wave and target being worked on; CloudWatch Embedded
// Metric Format (EMF) lines for release, lead-time, rollback and bake
// metrics; and Meter, which derives those metrics from the events the
// handlers append to a release's log, so the handlers need no metric calls.
package observe
