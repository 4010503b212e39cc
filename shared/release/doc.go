// Package release is Shipwave's domain: pipelines, their stages, waves and
// targets, releases and their status transitions, the event log entries that
// tell a release's story, the traffic plans that deployment configurations
// compile to, and the error kinds every adapter maps its failures onto.
//
// It imports no AWS SDK; adapters in other packages translate to and from it.
package release
