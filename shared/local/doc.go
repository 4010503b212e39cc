// Package local runs Shipwave's whole control plane on one machine, on
// loopback, with no AWS account: dynalite as DynamoDB, the embedded Step
// Functions engine running statemachines/*.asl.json with the real handlers
// in-process, an event bus that routes events by the same patterns as the
// AWS deployment's EventBridge rules, a local fleet behind weighted proxies,
// local metric alarms, local load tests, Shipwave's HTTP API (package
// httpapi) with the dashboard, and a notifier (package notify). It is what
// `shipwave local up` and `shipwave local demo` run, and what the
// end-to-end tests start.
//
// The API protects itself (apiauth.go): /v1 routes need the per-stack
// token as "Authorization: Bearer TOKEN", JSON bodies and a same-origin (or
// no) Origin; the caller is the token's holder, and a request's actor is a
// label. Outside /v1 only GETs of the dashboard's page pass, which hold no
// data. The outside endpoints POST /webhook, /slack and /alexa
// (outside.go) run the AWS functions' handlers, configured by Secrets.
// Schedules fire on the engine's clock (schedules.go). Canary analysis
// reads the fleet's per-request samples, and analysis steps of quiet
// canaries get synthetic requests from the fleet's generator
// (synthetic.go).
package local
