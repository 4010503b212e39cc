// Package memstore is an in-memory twin of package store: the same methods
// with the same semantics (conditional writes, ErrConflict / ErrLocked /
// ErrNotFound / ErrExpired, expiry checked on read against an injected
// clock, gap-free event sequences, millisecond lease and condition
// precision), held in maps behind one mutex. The simulation in shared/sim
// runs thousands of histories on it; shared/store/storetest holds the
// contract suite that runs against both this store and the DynamoDB one, so
// the two cannot drift apart.
package memstore
