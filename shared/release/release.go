package release

import (
	"fmt"
	"time"
)

// Status is where a release is in its life.
type Status string

// Release statuses. SUCCEEDED, ROLLED_BACK, FAILED, NEEDS_ATTENTION,
// SUPERSEDED and CANCELLED are terminal, and each names exactly what
// happened:
//   - ROLLED_BACK: the release moved traffic, failed, and every target it
//     restored is verified serving its known-good version (failed clean);
//   - FAILED: the release failed having restored nothing, because it moved
//     nothing that needed it (a pre-flight refusal, a candidate that would
//     not start, a target it never got);
//   - NEEDS_ATTENTION: traffic could not be verified on a known-good,
//     serving version everywhere the release touched: a person must look;
//   - SUPERSEDED: a newer release took its place;
//   - CANCELLED: an approval was rejected or timed out, or it was cancelled.
const (
	StatusPending        Status = "PENDING"
	StatusQueued         Status = "QUEUED"
	StatusInProgress     Status = "IN_PROGRESS"
	StatusSucceeded      Status = "SUCCEEDED"
	StatusRolledBack     Status = "ROLLED_BACK"
	StatusFailed         Status = "FAILED"
	StatusNeedsAttention Status = "NEEDS_ATTENTION"
	StatusSuperseded     Status = "SUPERSEDED"
	StatusCancelled      Status = "CANCELLED"
)

// Terminal reports whether no further transition is allowed from s.
func (s Status) Terminal() bool {
	switch s {
	case StatusSucceeded, StatusRolledBack, StatusFailed, StatusNeedsAttention, StatusSuperseded, StatusCancelled:
		return true
	}
	return false
}

// EndEvent is the one event type that records a release ending in s; it is
// empty for a status that is not terminal.
func (s Status) EndEvent() EventType {
	return endEvents[s]
}

var endEvents = map[Status]EventType{
	StatusSucceeded:      EventReleaseSucceeded,
	StatusRolledBack:     EventReleaseRolledBack,
	StatusFailed:         EventReleaseFailed,
	StatusNeedsAttention: EventReleaseNeedsAttention,
	StatusSuperseded:     EventSuperseded,
	StatusCancelled:      EventReleaseCancelled,
}

// Ends reports whether an event of type t records a release's end.
func (t EventType) Ends() bool {
	for _, e := range endEvents {
		if e == t {
			return true
		}
	}
	return false
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

var transitions = map[Status][]Status{
	StatusPending:        {StatusQueued, StatusInProgress, StatusSuperseded, StatusCancelled, StatusFailed, StatusNeedsAttention},
	StatusQueued:         {StatusInProgress, StatusSuperseded, StatusCancelled, StatusFailed, StatusNeedsAttention},
	StatusInProgress:     {StatusSucceeded, StatusRolledBack, StatusFailed, StatusNeedsAttention, StatusCancelled, StatusSuperseded},
	StatusSucceeded:      nil,
	StatusRolledBack:     nil,
	StatusFailed:         nil,
	StatusNeedsAttention: nil,
	StatusSuperseded:     nil,
	StatusCancelled:      nil,
}

// CanTransition reports whether a release may move from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// CheckTransition returns an ErrConflict-kind error when from → to is not allowed.
func CheckTransition(from, to Status) error {
	if !CanTransition(from, to) {
		return Errorf(ErrConflict, "release status cannot go from %s to %s", from, to)
	}
	return nil
}

// TriggerKind names what started a release.
type TriggerKind string

// Trigger kinds.
const (
	TriggerPush         TriggerKind = "push"
	TriggerImage        TriggerKind = "image"
	TriggerSchedule     TriggerKind = "schedule"
	TriggerCodePipeline TriggerKind = "codepipeline"
	TriggerChat         TriggerKind = "chat"
	TriggerVoice        TriggerKind = "voice"
	TriggerManual       TriggerKind = "manual"
	// TriggerRestore is a break-glass restore: it returns targets to a
	// known-good version directly, with no plan, bakes or approvals.
	TriggerRestore TriggerKind = "restore"
)

// Trigger is one normalized request to release a version, whatever its source.
// Key identifies the request itself: delivering the same trigger again (as
// EventBridge may) yields the same Key, so it creates no second release.
type Trigger struct {
	Kind       TriggerKind `json:"kind"`
	Key        string      `json:"key"`
	Source     string      `json:"source,omitempty"` // e.g. codecommit, github, gitlab, ecr
	Repository string      `json:"repository,omitempty"`
	Ref        string      `json:"ref,omitempty"` // full ref, e.g. refs/heads/main
	Branch     string      `json:"branch,omitempty"`
	Tag        string      `json:"tag,omitempty"`
	Commit     string      `json:"commit,omitempty"`
	// ChangedFiles lists the paths the push touched, when the source says.
	ChangedFiles []string  `json:"changedFiles,omitempty"`
	ImageDigest  string    `json:"imageDigest,omitempty"`
	ImageTag     string    `json:"imageTag,omitempty"`
	Actor        string    `json:"actor,omitempty"`
	Time         time.Time `json:"time"`
}

// Release is one attempt to take a version of a pipeline's artifact through
// all of its stages.
type Release struct {
	ID          string    `json:"id"`
	Pipeline    string    `json:"pipeline"`
	SpecVersion int       `json:"specVersion"`
	Version     string    `json:"version"` // the artifact version: commit, image tag or digest
	Trigger     Trigger   `json:"trigger"`
	Status      Status    `json:"status"`
	Reason      string    `json:"reason,omitempty"` // why it ended as it did
	Execution   string    `json:"execution,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Validate checks the fields every stored release must have.
func (r Release) Validate() error {
	switch {
	case r.ID == "":
		return Errorf(ErrInvalid, "release: id is required")
	case r.Pipeline == "":
		return Errorf(ErrInvalid, "release %s: pipeline is required", r.ID)
	case r.Trigger.Key == "":
		return Errorf(ErrInvalid, "release %s: trigger key is required", r.ID)
	case !r.Status.Valid():
		return Errorf(ErrInvalid, "release %s: unknown status %q", r.ID, r.Status)
	}
	return nil
}

// String is a short human description of the release.
func (r Release) String() string {
	return fmt.Sprintf("%s/%s@%s (%s)", r.Pipeline, r.ID, r.Version, r.Status)
}
