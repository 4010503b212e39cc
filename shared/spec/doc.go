// Package spec reads pipeline specs: YAML documents with apiVersion
// shipwave/v1 that describe where releases come from and how they travel
// through stages, waves and targets. Parse walks the YAML node tree itself so
// that every problem (unknown field, wrong kind, bad duration, unknown
// deployment config, bad cron or time zone, …) is reported at once with its
// line and field path, fills in the documented defaults, and returns a
// validated release.Pipeline. docs/pipeline-spec.md is the field reference.
package spec
