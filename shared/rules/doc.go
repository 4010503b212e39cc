// Package rules matches events against Amazon EventBridge event patterns and
// holds Shipwave's own rules. Compile accepts the documented pattern syntax
// (exact values, any-of arrays, prefix, suffix, equals-ignore-case,
// anything-but, numeric ranges, exists, wildcard, cidr, $or and nested
// objects); Match applies it to an event the way EventBridge does. Rules
// lists the rules that template.yaml deploys and the local event bus routes
// by, from the embedded rules.json, so both use the same patterns.
package rules
