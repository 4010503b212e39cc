// Package states is an embedded Amazon States Language engine: it parses and
// validates state machine definitions the way CreateStateMachine does and runs
// executions with Step Functions' data flow, error names, causes and history
// events. Task states are delegated to pluggable handlers looked up by
// resource ARN, and time comes from an injectable Clock, virtual by default,
// so a one-hour Wait completes at once. Each state type is parsed and run in
// its own file, and moves data through one dataflow chosen at Parse for its
// query language, JSONPath or JSONata (docs/states-engine.md, "Internals").
package states
