// Package loadtest is the load generator core and the judgement of its
// results: Run drives HTTP load in an open (constant-rate) or closed
// (fixed-concurrency) model and records latencies in an HDR histogram, Merge
// combines the results of many tasks exactly by merging histograms, and
// Evaluate and Aggregate check them against a release's load-test criteria.
// Results travel between tasks and the aggregator through the Sink and Source
// interfaces, implemented by the resultdir and resultdynamo packages.
package loadtest
