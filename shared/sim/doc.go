// Package sim is Shipwave's deterministic simulation harness, in the spirit
// of FoundationDB's simulation testing and Jepsen's checkers. A seeded
// generator (Generate) makes a scenario — a random valid pipeline spec,
// releases with faults that appear at chosen moments, AWS API errors,
// manual actions, deploy windows, control-plane crashes — and Run plays it
// on virtual time against the real statemachines/*.asl.json on the
// embedded engine, the real shared/control handlers and an in-memory store
// with the DynamoDB store's semantics (or the DynamoDB store itself). The
// simulated world (fleet, alarms, hooks, load tests) follows the faults in
// virtual time. Check then judges the history against the safety
// invariants of DESIGN.md §6, from the harness's own bookkeeping of what
// happened to traffic, never from the store's view of it.
package sim
