// Package jobworker lets a CodePipeline pipeline hand a deployment to
// Shipwave: as a Lambda invoke action (Handle) or a custom action job worker
// (Poll, which acknowledges each job first). It starts one release per job
// id, reports progress with continuation tokens until the release ends, and
// then puts a success result with output variables or a failure result a
// person can act on. Every invocation puts a result, so a job never hangs
// until CodePipeline's timeout because of Shipwave.
package jobworker
