// Package demo is the small HTTP service the local fleet runs as real
// processes (`shipwave demo-service`): GET / answers with its version and
// instance, GET /healthz with 200, and command-line faults (error rate,
// added latency, crashing) make faulty versions for alarms and rollbacks to
// catch. It announces its listening address on stdout and shuts down
// gracefully when its context ends.
package demo
