// Package scheduler runs a pipeline's cron triggers (triggers[].schedule in
// the spec): Definitions turns them into EventBridge Scheduler schedules and
// Syncer keeps those in AWS in step with the spec; Runner handles a schedule
// firing by releasing the latest good commit once per firing; Local fires
// the same schedules in local mode with an injected clock.
package scheduler
