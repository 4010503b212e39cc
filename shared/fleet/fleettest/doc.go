// Package fleettest runs fleets in tests without building shipwave: Main
// makes the test binary double as the demo service, and Binary names it as
// the fleet's executable.
package fleettest
