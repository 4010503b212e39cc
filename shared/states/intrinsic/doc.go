// Package intrinsic parses and evaluates the States Language intrinsic
// functions (States.Format, States.Array, States.Hash, ...). Arguments that are
// paths are resolved through an Env supplied by the engine, and failures are
// reported as *failure.Error with the names and causes Step Functions uses.
package intrinsic
