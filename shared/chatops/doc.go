// Package chatops is what a person may ask of Shipwave from outside the
// CLI — deploy, status, history, approve, reject, roll back — checked
// against each pipeline's allow-lists and recorded in the release log. A
// deploy starts its release through triggers.Launcher, the one launcher
// the push trigger, schedules, CodePipeline and the local push use too
// (idempotent on the trigger key). The Slack front end lives in
// chatops/slack; the Alexa skill, the CodePipeline job worker and the
// scheduler use the same operations and launcher.
package chatops
