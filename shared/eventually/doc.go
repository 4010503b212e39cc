// Package eventually waits, in tests, for a condition to hold: it polls the
// condition until it does or a deadline passes, and then fails the test
// with a message naming what was awaited. Tests use it instead of sleeping
// for a guessed time, so they take as long as the condition needs and no
// longer, and a wait that never ends says what it waited for.
package eventually
