package release

import "time"

// SpecVersion is one stored version of a pipeline spec: the source as the
// user wrote it and the validated pipeline it parsed to. Versions start at 1
// and only grow.
type SpecVersion struct {
	Pipeline  string    `json:"pipeline"`
	Version   int       `json:"version"`
	Source    []byte    `json:"source"`
	Parsed    Pipeline  `json:"parsed"`
	CreatedAt time.Time `json:"createdAt"`
}

// Lock is a lease on a target: while it is live, only Owner (a release id)
// may shift that target's traffic. Fence grows by one on every acquisition, so
// a holder whose lease was taken over can tell.
type Lock struct {
	Target    string    `json:"target"`
	Owner     string    `json:"owner"`
	Fence     int64     `json:"fence"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Live reports whether the lease is still held at now.
func (l Lock) Live(now time.Time) bool { return now.Before(l.ExpiresAt) }

// TokenKind says what a stored task token is waiting for.
type TokenKind string

// Token kinds.
const (
	TokenBake     TokenKind = "bake"
	TokenApproval TokenKind = "approval"
	TokenWindow   TokenKind = "window"
)

// TaskToken is a Step Functions task token that an outside event may complete:
// a bake that alarms can fail, or an approval a person can grant.
type TaskToken struct {
	Token     string    `json:"token"`
	Kind      TokenKind `json:"kind"`
	ReleaseID string    `json:"releaseId"`
	Pipeline  string    `json:"pipeline"`
	Stage     string    `json:"stage,omitempty"`
	Wave      string    `json:"wave,omitempty"`
	Target    string    `json:"target,omitempty"`
	// Alarms are the alarm names whose ALARM state fails a bake.
	Alarms []string `json:"alarms,omitempty"`
	// Approvers may complete an approval token.
	Approvers []string  `json:"approvers,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// TargetState is what a target serves and what Shipwave knows about it: the
// last good version (Stable), the version being rolled out (Candidate) and
// the percent of traffic on it. It is written before traffic moves, so a
// rollback always knows where to return.
type TargetState struct {
	Target    string `json:"target"`
	Stable    string `json:"stable"`
	Candidate string `json:"candidate,omitempty"`
	Weight    int    `json:"weight"`
	// ReleaseID is the release that last moved this target.
	ReleaseID string `json:"releaseId,omitempty"`
	// Previous is the stable version before ReleaseID promoted Candidate; a
	// coordinated rollback of an already promoted wave returns to it.
	Previous  string      `json:"previous,omitempty"`
	Phase     TargetPhase `json:"phase"`
	Stage     string      `json:"stage,omitempty"`
	Wave      string      `json:"wave,omitempty"`
	UpdatedAt time.Time   `json:"updatedAt"`
}

// TargetPhase says where a target is in a rollout.
type TargetPhase string

// Target phases.
const (
	PhaseStable     TargetPhase = "STABLE"      // all traffic on Stable, nothing in flight
	PhaseShifting   TargetPhase = "SHIFTING"    // Candidate has Weight percent
	PhasePromoted   TargetPhase = "PROMOTED"    // Candidate became Stable
	PhaseRolledBack TargetPhase = "ROLLED_BACK" // back to 100% on Stable
)
