// Package jsonpath parses and evaluates JSONPath expressions the way AWS Step
// Functions does (Jayway semantics): definite paths select one value,
// indefinite paths (wildcards, slices, filters, recursive descent) select a
// list. Reference paths can also be written to, as ResultPath does.
package jsonpath
