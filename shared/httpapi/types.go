package httpapi

import (
	"github.com/shipwave/shipwave/shared/release"
)

// PushRequest is the body of POST /v1/pipelines/{p}/push.
type PushRequest struct {
	Version string `json:"version"`
	// Fault makes the version misbehave: "error-rate=0.2", "latency=300ms",
	// "crash-on-start", several joined with "+" or ",".
	Fault string `json:"fault,omitempty"`
	// FaultStage limits the fault to the targets of one stage (for example
	// "prod": a regression that only production traffic shows).
	FaultStage string `json:"faultStage,omitempty"`
	// Key identifies the push; the same key again creates no second release.
	Key   string `json:"key,omitempty"`
	Actor string `json:"actor,omitempty"`
}

// PushResponse says which release a push (or a retry) created or found.
type PushResponse struct {
	ReleaseID string `json:"releaseId"`
	Artifact  string `json:"artifact"`
	Execution string `json:"execution"`
	Created   bool   `json:"created"`
	// NoOp says nothing was created: every target already serves the
	// version as its known-good one (Reason says so).
	NoOp   bool   `json:"noop,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ReleaseView is GET /v1/releases/{id}: a release with its event log.
type ReleaseView struct {
	Release release.Release `json:"release"`
	Events  []release.Event `json:"events"`
}

// DecisionRequest is the body of approve and reject.
type DecisionRequest struct {
	Actor   string `json:"actor,omitempty"`
	Comment string `json:"comment,omitempty"`
	Stage   string `json:"stage,omitempty"`
}

// ActionRequest is the body of rollback, undo, promote and retry (all
// fields optional).
type ActionRequest struct {
	Actor  string `json:"actor,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// RestoreRequest is the body of POST /v1/pipelines/{p}/restore.
type RestoreRequest struct {
	// Targets to restore; empty means every target of the pipeline.
	Targets []string `json:"targets,omitempty"`
	// Version is an earlier known-good version; empty means each target's
	// last known-good version.
	Version string `json:"version,omitempty"`
	Key     string `json:"key,omitempty"`
	Actor   string `json:"actor,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ReleasePage is GET /v1/releases: a page of releases, newest first, and
// the cursor of the next page ("" on the last).
type ReleasePage struct {
	Releases   []release.Release `json:"releases"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// MaxPageSize bounds GET /v1/releases?limit=.
const MaxPageSize = 500

// PipelineView is GET /v1/pipelines/{p} (and one entry of GET
// /v1/pipelines): the latest spec's stages, waves and targets with each
// target's live state, and the pipeline's releases in flight and latest.
type PipelineView struct {
	Name        string            `json:"name"`
	SpecVersion int               `json:"specVersion"`
	Stages      []StageView       `json:"stages"`
	Active      []release.Release `json:"active"`
	Recent      []release.Release `json:"recent"`
}

// StageView is one stage of a PipelineView.
type StageView struct {
	Name      string     `json:"name"`
	Approvers []string   `json:"approvers,omitempty"` // set when the stage has an approval gate
	Waves     []WaveView `json:"waves"`
}

// WaveView is one wave of a StageView.
type WaveView struct {
	Name       string       `json:"name"`
	Deployment string       `json:"deployment,omitempty"`
	Targets    []TargetView `json:"targets"`
}

// TargetView is one target with its live state (nil before any release
// touched it) and the states of the alarms that guard it.
type TargetView struct {
	Name   string               `json:"name"`
	Type   release.TargetType   `json:"type"`
	State  *release.TargetState `json:"state,omitempty"`
	Alarms map[string]string    `json:"alarms,omitempty"`
}
