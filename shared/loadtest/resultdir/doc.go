// Package resultdir stores load-test results as JSON files in a directory,
// one subdirectory per run and one file per task; it is the result store of
// the local stack, where the load generator runs as local processes. Files
// are written atomically, so a reader never sees half a result.
package resultdir
