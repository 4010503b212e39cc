// Package synthetic sends synthetic requests to a Lambda alias target's
// canary and baseline versions on AWS, for canary analysis of a quiet
// service (a step's analysis.synthetic).
//
// Traffic is the control.Synthetic the bake and rollback functions use: it
// records a run for the target in the table (store.StartSyntheticRun) and
// starts the synthetic function (functions/synthetic) with an
// asynchronous invocation carrying a Job; StopSynthetic sets the run's stop
// marker and returns its sent count. Sender is that function's work: it
// invokes the two versions directly (lambda:InvokeFunction with the
// version as Qualifier), alternately, at most Job.RPS a second, with the
// step's payload, adds what it sent to the run's counter after each
// second, stops when the run is stopped or replaced or at Job.Until, and
// hands the rest of the run to a new invocation of itself before its own
// timeout (a chain), so no process outlives a Lambda invocation.
//
// CloudWatch records an invocation of a version under the dimensions
// FunctionName and Resource=<function>:<version>, and one through the
// alias under Resource=<function>:<alias> (with ExecutedVersion naming the
// version that ran), so the real-traffic metrics, which read the alias's
// ExecutedVersion series, never include synthetic requests
// (cloudwatch.Metrics.SyntheticOnly reads the version series).
package synthetic
