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

// TargetTask is what every Task of deploy.asl.json passes: the release,
// and the target of which wave it deploys. Each state's input type embeds
// it and adds only the fields that state's Parameters pass.
type TargetTask struct {
	ReleaseID string         `json:"releaseId"`
	Pipeline  string         `json:"pipeline"`
	Stage     string         `json:"stage"`
	Wave      string         `json:"wave"`
	Target    release.Target `json:"target"`
}

// LockInput is the input of AcquireLock (the lock function).
type LockInput struct {
	TargetTask
	ExecutionMode release.ExecutionMode `json:"executionMode,omitempty"`
	LeaseSeconds  int64                 `json:"leaseSeconds,omitempty"`
}

// PrepareInput is the input of Prepare (the shift function, action
// prepare).
type PrepareInput struct {
	TargetTask
	Artifact string   `json:"artifact"`
	Alarms   []string `json:"alarms,omitempty"`
}

// HookInput is the input of PreTrafficHook and PostTrafficHook (the hook
// function); Phase says which.
type HookInput struct {
	TargetTask
	Phase    string        `json:"phase"`
	Artifact string        `json:"artifact,omitempty"`
	Hooks    release.Hooks `json:"hooks"`
	Split    traffic.Split `json:"split"`
}

// StepTask is what every Task of one plan step passes: the target, its
// split, the step, and the alarms that watch it.
type StepTask struct {
	TargetTask
	Split  traffic.Split `json:"split"`
	Step   StepInput     `json:"step"`
	Alarms []string      `json:"alarms,omitempty"`
}

// ShiftInput is the input of Shift (the shift function, action shift).
type ShiftInput struct {
	StepTask
	Windowed     bool  `json:"windowed,omitempty"`
	LeaseSeconds int64 `json:"leaseSeconds,omitempty"`
}

// BakeInput is the input of Bake and FinalBake (the bake function,
// action register, behind a waitForTaskToken Task): the token to store and
// the bake's length.
type BakeInput struct {
	StepTask
	Token   string `json:"token"`
	Seconds int64  `json:"seconds"`
	// ElapsedSeconds is how long the step has baked before this bake (an
	// extension's earlier bakes); 0 at a step's first bake.
	ElapsedSeconds int64 `json:"elapsedSeconds,omitempty"`
	// Hold marks a bake that holds the current weight while the deploy
	// window is shut (see StepOutput.Hold).
	Hold bool `json:"hold,omitempty"`
}

// BakeCheckInput is the input of BakeCheck and FinalBakeCheck (the bake
// function, action check): the evidence the bake needs and how long it has
// baked.
type BakeCheckInput struct {
	StepTask
	Bake           BakePolicy `json:"bake"`
	ElapsedSeconds int64      `json:"elapsedSeconds,omitempty"`
	BakedSeconds   int64      `json:"bakedSeconds,omitempty"`
	Hold           bool       `json:"hold,omitempty"`
}

// FinalizeInput is the input of Finalize.
type FinalizeInput struct {
	TargetTask
	Split traffic.Split `json:"split"`
}

// RollbackInput is the input of Rollback: Error is the caught error that
// sent the deploy there.
type RollbackInput struct {
	TargetTask
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

// ReleaseTask is what every Task of release.asl.json served by the record
// function passes. Each action's input type embeds it.
type ReleaseTask struct {
	ReleaseID string `json:"releaseId"`
	Pipeline  string `json:"pipeline"`
}

// BeginInput is the input of Begin (action begin).
type BeginInput struct {
	ReleaseTask
	Execution string `json:"execution,omitempty"`
}

// StageInput is the input of StageStart and StageDone (actions stageStart
// and stageDone).
type StageInput struct {
	ReleaseTask
	Stage      string `json:"stage"`
	StageIndex int    `json:"stageIndex"`
}

// WindowInput is the input of CheckWindow (action window).
type WindowInput struct {
	ReleaseTask
	Stage    string `json:"stage"`
	Windowed bool   `json:"windowed,omitempty"`
}

// WindowOutput is what CheckWindow puts at $.window: when the deploy
// window next opens (RFC 3339), absent while it is open.
type WindowOutput struct {
	WaitUntil string `json:"waitUntil,omitempty"`
}

// WaveResultInput is the input of WaveResult (action waveResult): the
// wave's Targets map result.
type WaveResultInput struct {
	ReleaseTask
	Stage      string          `json:"stage"`
	StageIndex int             `json:"stageIndex"`
	Wave       string          `json:"wave"`
	WaveIndex  int             `json:"waveIndex"`
	Outcomes   []DeployOutcome `json:"outcomes"`
}

// FinishInput is the input of Finish (action finish): Error is the caught
// error that ended the release, nil when it succeeded.
type FinishInput struct {
	ReleaseTask
	Error *TaskError `json:"error,omitempty"`
}

// ReleaseOutcome is how a release ended: what Finish puts at $.outcome.
type ReleaseOutcome struct {
	Status release.Status `json:"status,omitempty"`
	Reason string         `json:"reason,omitempty"`
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
