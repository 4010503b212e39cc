// Package slack is Shipwave's Slack front end: the /ship slash command
// (deploy, status, history, approve, reject, rollback, help) as a plain
// http.Handler. It verifies Slack's v0 signature and refuses replays before
// reading the form, answers within Slack's three seconds (following up on
// response_url when an operation takes longer) and renders releases as
// Block Kit messages. Who may do what comes from the pipeline's chat
// allow-lists, checked by chatops.Ops.
package slack
