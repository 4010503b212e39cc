// Package localtask runs load-generator tasks as local processes: it is the
// local stack's stand-in for the ecs:runTask.sync integration the loadtest
// state machine uses, so the very cmd/loadgen binary that runs on Fargate
// runs here with the same container-override environment.
package localtask
