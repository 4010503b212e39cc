// Package e2e holds Shipwave's end-to-end tests: each starts the whole local
// stack (dynalite, the embedded engine running the real state machines, the
// event bus, a fleet of real demo-service processes, metric alarms over
// their real traffic, load-test processes) and checks what releases do to
// real traffic, against the safety invariants of DESIGN.md §6.
package e2e
