package release

import (
	"fmt"
	"time"
)

// Status is where a release is in its life.
type Status string

// Release statuses. SUCCEEDED, ROLLED_BACK, FAILED, SUPERSEDED and CANCELLED
// are terminal. ROLLED_BACK means the release failed and traffic is back on
// the last good version (failed clean); FAILED means it ended in a way that
// needs a person to look (failed dirty, or could not start).
const (
	StatusPending    Status = "PENDING"
	StatusQueued     Status = "QUEUED"
	StatusInProgress Status = "IN_PROGRESS"
	StatusSucceeded  Status = "SUCCEEDED"
	StatusRolledBack Status = "ROLLED_BACK"
	StatusFailed     Status = "FAILED"
	StatusSuperseded Status = "SUPERSEDED"
	StatusCancelled  Status = "CANCELLED"
)

// Terminal reports whether no further transition is allowed from s.
func (s Status) Terminal() bool {
	switch s {
	case StatusSucceeded, StatusRolledBack, StatusFailed, StatusSuperseded, StatusCancelled:
		return true
	}
	return false
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

var transitions = map[Status][]Status{
	StatusPending:    {StatusQueued, StatusInProgress, StatusSuperseded, StatusCancelled, StatusFailed},
	StatusQueued:     {StatusInProgress, StatusSuperseded, StatusCancelled, StatusFailed},
	StatusInProgress: {StatusSucceeded, StatusRolledBack, StatusFailed, StatusCancelled, StatusSuperseded},
	StatusSucceeded:  nil,
	StatusRolledBack: nil,
	StatusFailed:     nil,
	StatusSuperseded: nil,
	StatusCancelled:  nil,
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
