package hooks

import "fmt"

// HeaderTrace carries the invocation's X-Ray trace header to HTTP hooks,
// as AWS services pass it on.
const HeaderTrace = "X-Amzn-Trace-Id"

// Phase says when a hook runs.
type Phase string

// Hook phases.
const (
	PreTraffic  Phase = "preTraffic"
	PostTraffic Phase = "postTraffic"
)

// Invocation is what a hook is told: which release, where, and which
// version it is checking. It is the JSON body of both kinds of hook.
type Invocation struct {
	ReleaseID string `json:"releaseId"`
	Pipeline  string `json:"pipeline"`
	Stage     string `json:"stage"`
	Wave      string `json:"wave,omitempty"`
	Target    string `json:"target"`
	Phase     Phase  `json:"phase"`
	// Version is the release's artifact version (commit, tag or digest).
	Version string `json:"version"`
	// Candidate is the target-specific id of the new version (a Lambda
	// version number, a target group ARN).
	Candidate string `json:"candidate"`
}

// Failed is a hook's verdict that the candidate must not proceed: it
// answered failure, errored, timed out or could not be reached.
type Failed struct {
	Phase  Phase
	Hook   string
	Reason string
}

func (e *Failed) Error() string {
	return fmt.Sprintf("%s hook %s failed: %s", e.Phase, e.Hook, e.Reason)
}
