// Package layers checks the import graph's layering rules: the domain
// (shared/release) and the use cases (shared/control) never import an AWS
// SDK, so they run and are tested without one, and adapters stay at the
// edge. The check reads `go list -deps`, so an import added anywhere below
// either package fails it.
package layers
