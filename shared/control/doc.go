// Package control holds the task handlers that Shipwave's state machines call:
// begin and finish a release, gate stages on approvals and deploy windows,
// lock targets, shift traffic step by step, run hooks, register and check
// event-driven bakes, promote or roll back a target, and react to alarm and
// execution status events. Each Task state has its own input type, holding
// only what its Parameters pass, and a concrete output; the functions that
// serve several states (record, shift, bake) dispatch on the state's action
// through one Router. Each handler records what it decided in the
// release's event log, and every failure it returns at the Lambda boundary
// is one of the named error types below, whose Go type names are the
// ErrorEquals names in statemachines/*.asl.json.
package control
