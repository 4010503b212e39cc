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
	// TokenWatch is no task's token: it is the alarm watch a release keeps
	// on a target while the candidate holds partial traffic, from before
	// the first partial shift until the target is at 0 or 100%, so an
	// alarm between two bakes is not missed (alarmwatch records it, and
	// the target's next task fails).
	TokenWatch TokenKind = "watch"
)

// WatchToken is the id of the watch a release keeps on a target.
func WatchToken(releaseID, target string) string { return "watch:" + releaseID + ":" + target }

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

// TargetState is what a target serves and what Shipwave knows about it. It
// is written before traffic moves, so a restore always knows where to
// return, and it says which release owns the target: from the moment a
// release prepares it until that release ends.
type TargetState struct {
	Target string `json:"target"`
	// KnownGood is the target's last known-good version: its initial
	// version, or a version a release promoted on it and kept when it
	// ended (it succeeded, or it failed elsewhere and its onFailure kept
	// this wave, or it gave way). It is never the candidate of a release
	// still in flight, and it is what every restore returns to.
	KnownGood string `json:"knownGood"`
	// Good lists earlier known-good versions, newest first (KnownGood
	// first), for restoring to a named earlier version.
	Good []string `json:"good,omitempty"`
	// Stable is the version on the other side of the live split from
	// Candidate: KnownGood while a release shifts, Candidate once promoted.
	Stable    string `json:"stable"`
	Candidate string `json:"candidate,omitempty"`
	Weight    int    `json:"weight"`
	// ReleaseID is the release that last moved this target; it owns the
	// target while Phase is not settled.
	ReleaseID string `json:"releaseId,omitempty"`
	// Previous is the known-good version ReleaseID replaced.
	Previous  string      `json:"previous,omitempty"`
	Phase     TargetPhase `json:"phase"`
	Stage     string      `json:"stage,omitempty"`
	Wave      string      `json:"wave,omitempty"`
	UpdatedAt time.Time   `json:"updatedAt"`
}

// Settled reports whether no release owns the target any more: all its
// traffic is on KnownGood, and any release may take it.
func (ts TargetState) Settled() bool {
	return ts.Phase == PhaseStable || ts.Phase == PhaseRolledBack || ts.Phase == ""
}

// Settle returns the state with version made the known-good one (kept
// first in Good, at most MaxGood of them) and the target released by its
// owner.
func (ts TargetState) Settle(version string, now time.Time) TargetState {
	ts.Good = PushGood(ts.Good, version)
	ts.KnownGood, ts.Stable, ts.Candidate, ts.Weight, ts.Phase, ts.UpdatedAt = version, version, "", 0, PhaseStable, now
	return ts
}

// MaxGood is how many known-good versions a target remembers.
const MaxGood = 10

// PushGood puts version first in the list of known-good versions.
func PushGood(good []string, version string) []string {
	out := []string{version}
	for _, v := range good {
		if v != version && len(out) < MaxGood {
			out = append(out, v)
		}
	}
	return out
}

// TargetPhase says where a target is in a rollout.
type TargetPhase string

// Target phases. STABLE and ROLLED_BACK are settled: no release owns the
// target. SHIFTING, PROMOTED and RESTORING belong to ReleaseID.
const (
	PhaseStable     TargetPhase = "STABLE"      // all traffic on KnownGood, nothing in flight
	PhaseShifting   TargetPhase = "SHIFTING"    // Candidate has Weight percent
	PhasePromoted   TargetPhase = "PROMOTED"    // Candidate has 100%, not yet known-good
	PhaseRestoring  TargetPhase = "RESTORING"   // a restore to KnownGood is under way
	PhaseRolledBack TargetPhase = "ROLLED_BACK" // restored: 100% on KnownGood, verified
)
