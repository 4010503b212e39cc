package control

import (
	"encoding/json"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// TaskError is the error object a Catch puts at its ResultPath.
type TaskError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Reason is the human part of the error: for a Lambda error, Step Functions
// wraps the function's {"errorMessage","errorType"} as a JSON string in
// Cause; the message inside is what a person wants to read.
func (e *TaskError) Reason() string {
	if e == nil {
		return ""
	}
	var lambdaErr struct {
		Message string `json:"errorMessage"`
		// A failed nested execution (startExecution.sync) reports the
		// whole execution as its cause; its own error is what matters.
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	}
	if strings.HasPrefix(e.Cause, "{") && json.Unmarshal([]byte(e.Cause), &lambdaErr) == nil {
		switch {
		case lambdaErr.Message != "":
			return e.Error + ": " + lambdaErr.Message
		case lambdaErr.Error != "":
			return (&TaskError{Error: lambdaErr.Error, Cause: lambdaErr.Cause}).Reason()
		}
	}
	if e.Cause == "" {
		return e.Error
	}
	return e.Error + ": " + e.Cause
}

// DeployTask is the input of every Task in deploy.asl.json. Each state
// passes the subset it needs; Action tells a function serving several
// states which one this is.
type DeployTask struct {
	Action        string                `json:"action,omitempty"`
	ReleaseID     string                `json:"releaseId"`
	Pipeline      string                `json:"pipeline"`
	Stage         string                `json:"stage"`
	Wave          string                `json:"wave"`
	Target        release.Target        `json:"target"`
	ExecutionMode release.ExecutionMode `json:"executionMode,omitempty"`
	LeaseSeconds  int64                 `json:"leaseSeconds,omitempty"`
	Artifact      string                `json:"artifact,omitempty"`
	Alarms        []string              `json:"alarms,omitempty"`
	Hooks         release.Hooks         `json:"hooks,omitempty"`
	Phase         string                `json:"phase,omitempty"`
	Split         traffic.Split         `json:"split,omitempty"`
	Step          StepInput             `json:"step,omitempty"`
	Windowed      bool                  `json:"windowed,omitempty"`
	Bake          BakePolicy            `json:"bake,omitempty"`
	// Hold marks a bake that holds the current weight while the deploy
	// window is shut (see StepOutput.Hold).
	Hold bool `json:"hold,omitempty"`
	// Bake registration and checks.
	Token          string `json:"token,omitempty"`
	Seconds        int64  `json:"seconds,omitempty"`
	ElapsedSeconds int64  `json:"elapsedSeconds,omitempty"`
	BakedSeconds   int64  `json:"bakedSeconds,omitempty"`
	// Error is the caught error that sent a deploy to Rollback.
	Error *TaskError `json:"error,omitempty"`
}

// StepOutput is what Shift and BakeCheck put at $.shift: how long to bake
// next (0: the step is done), and whether that bake is a hold: the deploy
// window is shut, so the target bakes at its current weight (alarms
// watched, lease renewed by the next Shift) and Shift runs again after it.
type StepOutput struct {
	Hold           bool  `json:"hold"`
	Weight         int   `json:"weight"`
	BakeSeconds    int64 `json:"bakeSeconds"`
	ElapsedSeconds int64 `json:"elapsedSeconds"`
}

// TargetOutcome is what Finalize and Rollback return.
type TargetOutcome struct {
	Version string `json:"version"`
	Reason  string `json:"reason,omitempty"`
}

// RecordInput is the input of every Task of release.asl.json served by the
// record function.
type RecordInput struct {
	Action     string          `json:"action"`
	ReleaseID  string          `json:"releaseId"`
	Pipeline   string          `json:"pipeline"`
	Execution  string          `json:"execution,omitempty"`
	Stage      string          `json:"stage,omitempty"`
	StageIndex int             `json:"stageIndex,omitempty"`
	Wave       string          `json:"wave,omitempty"`
	WaveIndex  int             `json:"waveIndex,omitempty"`
	Windowed   bool            `json:"windowed,omitempty"`
	Outcomes   []DeployOutcome `json:"outcomes,omitempty"`
	Error      *TaskError      `json:"error,omitempty"`
}

// DeployOutcome is one item of a wave's Targets map result.
type DeployOutcome struct {
	ExecutionArn string `json:"executionArn,omitempty"`
	Output       struct {
		Outcome string `json:"outcome"`
		Target  string `json:"target"`
		Version string `json:"version"`
		Reason  string `json:"reason"`
	} `json:"output"`
	Target string     `json:"target,omitempty"`
	Error  *TaskError `json:"error,omitempty"`
}

// Deploy outcomes, as deploy.asl.json's end states report them.
const (
	OutcomePromoted   = "PROMOTED"
	OutcomeRolledBack = "ROLLED_BACK"
	OutcomeNotStarted = "NOT_STARTED"
	OutcomeSuperseded = "SUPERSEDED"
	OutcomeFailed     = "FAILED"
)

// RecordOutput is the union of what the record function's actions return;
// each action sets its own fields.
type RecordOutput struct {
	// begin
	Stages []StagePlan `json:"stages,omitempty"`
	// window
	WaitUntil string `json:"waitUntil,omitempty"`
	// finish
	Status release.Status `json:"status,omitempty"`
	Reason string         `json:"reason,omitempty"`
}
