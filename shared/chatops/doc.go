// Package chatops is what a person may ask of Shipwave from outside the
// CLI — deploy, status, history, approve, reject, roll back — checked
// against each pipeline's allow-lists and recorded in the release log, plus
// the Launcher that creates and starts a release the way the push trigger
// does (idempotent on the trigger key). The Slack front end lives in
// chatops/slack; the Alexa skill, the CodePipeline job worker and the
// scheduler use the same operations and Launcher.
package chatops
