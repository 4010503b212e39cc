// Package controlengine runs Shipwave's state machines
// (statemachines/*.asl.json) on the embedded engine with every Task
// function served in-process by control.Service: the one mapping from the
// definitions' ${…FunctionArn} placeholders to the handlers (the record,
// shift and bake Routers and the single-action handlers). The local stack,
// the simulation and the scenario tests of shared/control and
// shared/chatops/slack all build their engine here. It is a package of its
// own, not part of shared/local, so tests can import it without the local
// stack's HTTP API, chat adapters and dynalite process.
package controlengine
