package control

import (
	"errors"

	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/release"
)

// The named errors below cross the Lambda boundary. aws-lambda-go reports a
// returned error's Go type name (without the pointer) as its errorType, and
// Step Functions matches that name against Retry and Catch ErrorEquals; so
// these must be returned unwrapped, which Boundary ensures.

// TargetLocked means another release holds the target's lock; the state
// machine retries, which is how QUEUED releases wait their turn.
type TargetLocked struct{ Message string }

func (e *TargetLocked) Error() string           { return e.Message }
func (e *TargetLocked) rename(msg string) error { return &TargetLocked{Message: msg} }

// Superseded means a newer release of the same pipeline overtook this one
// (executionMode SUPERSEDED); nothing more is deployed.
type Superseded struct{ Message string }

func (e *Superseded) Error() string           { return e.Message }
func (e *Superseded) rename(msg string) error { return &Superseded{Message: msg} }

// Cancelled means the release was cancelled or already ended before it ran.
type Cancelled struct{ Message string }

func (e *Cancelled) Error() string           { return e.Message }
func (e *Cancelled) rename(msg string) error { return &Cancelled{Message: msg} }

// PreflightFailed means a wave's alarms are missing, without data or already
// in ALARM: Shipwave refuses to deploy blind.
type PreflightFailed struct{ Message string }

func (e *PreflightFailed) Error() string           { return e.Message }
func (e *PreflightFailed) rename(msg string) error { return &PreflightFailed{Message: msg} }

// HookFailed means a pre- or post-traffic hook did not answer success.
type HookFailed struct{ Message string }

func (e *HookFailed) Error() string           { return e.Message }
func (e *HookFailed) rename(msg string) error { return &HookFailed{Message: msg} }

// AlarmTriggered means an alarm watched by a bake went to ALARM.
type AlarmTriggered struct{ Message string }

func (e *AlarmTriggered) Error() string           { return e.Message }
func (e *AlarmTriggered) rename(msg string) error { return &AlarmTriggered{Message: msg} }

// InsufficientData means a bake ended, after every extension, with fewer
// requests on the candidate than the spec requires.
type InsufficientData struct{ Message string }

func (e *InsufficientData) Error() string           { return e.Message }
func (e *InsufficientData) rename(msg string) error { return &InsufficientData{Message: msg} }

// WaveAborted means a sibling target of the same wave failed, so this one
// stops and rolls back too.
type WaveAborted struct{ Message string }

func (e *WaveAborted) Error() string           { return e.Message }
func (e *WaveAborted) rename(msg string) error { return &WaveAborted{Message: msg} }

// WaveFailed means at least one target of a wave did not promote; the wave's
// targets (and, with onFailure rollbackAllWaves, earlier waves) were rolled
// back.
type WaveFailed struct{ Message string }

func (e *WaveFailed) Error() string           { return e.Message }
func (e *WaveFailed) rename(msg string) error { return &WaveFailed{Message: msg} }

// LoadTestFailed means the load test's merged results missed a criterion.
type LoadTestFailed struct{ Message string }

func (e *LoadTestFailed) Error() string           { return e.Message }
func (e *LoadTestFailed) rename(msg string) error { return &LoadTestFailed{Message: msg} }

// ApprovalRejected means an approver rejected the stage or the approval
// timed out.
type ApprovalRejected struct{ Message string }

func (e *ApprovalRejected) Error() string           { return e.Message }
func (e *ApprovalRejected) rename(msg string) error { return &ApprovalRejected{Message: msg} }

// LockLost means the target's lock is now held by someone else (the lease
// expired and was taken over), so this release must not move its traffic.
type LockLost struct{ Message string }

func (e *LockLost) Error() string           { return e.Message }
func (e *LockLost) rename(msg string) error { return &LockLost{Message: msg} }

// TransientError wraps a failure worth retrying: throttling, a 5xx, a lost
// conditional-write race. The state machines retry it with backoff.
type TransientError struct{ Message string }

func (e *TransientError) Error() string           { return e.Message }
func (e *TransientError) rename(msg string) error { return &TransientError{Message: msg} }

// InvalidInput means the task input could not be used; retrying won't help.
type InvalidInput struct{ Message string }

func (e *InvalidInput) Error() string           { return e.Message }
func (e *InvalidInput) rename(msg string) error { return &InvalidInput{Message: msg} }

// DeployWindowClosed means the deploy window shut mid-shift and stayed
// shut longer than a target may hold partial traffic (MaxWindowHold).
type DeployWindowClosed struct{ Message string }

func (e *DeployWindowClosed) Error() string           { return e.Message }
func (e *DeployWindowClosed) rename(msg string) error { return &DeployWindowClosed{Message: msg} }

// RollbackRequested means a person asked for the release to be rolled
// back; every waiting task of the release fails with it.
type RollbackRequested struct{ Message string }

func (e *RollbackRequested) Error() string           { return e.Message }
func (e *RollbackRequested) rename(msg string) error { return &RollbackRequested{Message: msg} }

// RestoreUnverified means a restore could not verify the target serving its
// known-good version; the release ends NEEDS_ATTENTION.
type RestoreUnverified struct{ Message string }

func (e *RestoreUnverified) Error() string           { return e.Message }
func (e *RestoreUnverified) rename(msg string) error { return &RestoreUnverified{Message: msg} }

// AnalysisFailed means canary analysis judged the candidate worse than the
// baseline (or could not judge it, and its policy says fail).
type AnalysisFailed struct{ Message string }

func (e *AnalysisFailed) Error() string           { return e.Message }
func (e *AnalysisFailed) rename(msg string) error { return &AnalysisFailed{Message: msg} }

// ApprovalTimedOut means nobody answered an approval gate in time.
type ApprovalTimedOut struct{ Message string }

func (e *ApprovalTimedOut) Error() string           { return e.Message }
func (e *ApprovalTimedOut) rename(msg string) error { return &ApprovalTimedOut{Message: msg} }

// ErrorNames lists every named error a handler may return, for the test that
// checks each name in statemachines/ maps to a Go type and back.
func ErrorNames() []string {
	return []string{
		"TargetLocked", "Superseded", "Cancelled", "PreflightFailed", "HookFailed",
		"AlarmTriggered", "InsufficientData", "WaveAborted", "WaveFailed", "LoadTestFailed",
		"ApprovalRejected", "LockLost", "TransientError", "InvalidInput",
		"DeployWindowClosed", "RollbackRequested", "RestoreUnverified", "ApprovalTimedOut", "AnalysisFailed",
	}
}

// named is implemented by every error type above.
type named interface {
	error
	rename(msg string) error
}

// Boundary turns err into what a Lambda handler should return: a named error
// found anywhere in its chain is returned itself, carrying the whole chain's
// message so the cause Step Functions records keeps the context wrappers
// added; AWS throttling, 5xx and lost races become *TransientError; domain
// ErrInvalid, ErrNotFound, ErrExpired, ErrUnauthorized and other AWS client
// faults become *InvalidInput; anything else (an error with no kind, such as a network
// failure) becomes *TransientError, so every error that reaches Step
// Functions has a name its Retry and Catch can match.
func Boundary(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var n named
	switch {
	case errors.As(err, &n):
		return n.rename(msg)
	case errors.Is(err, release.ErrLocked):
		return &TargetLocked{Message: msg}
	case errors.Is(err, release.ErrInvalid), errors.Is(err, release.ErrNotFound),
		errors.Is(err, release.ErrExpired), errors.Is(err, release.ErrUnauthorized):
		return &InvalidInput{Message: msg}
	case errors.Is(err, release.ErrConflict), transient(err):
		return &TransientError{Message: msg}
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorFault() == smithy.FaultClient {
		return &InvalidInput{Message: msg}
	}
	return &TransientError{Message: msg}
}

// transient reports whether an AWS API error is worth retrying.
func transient(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
			"ProvisionedThroughputExceededException", "ServiceUnavailable", "ServiceUnavailableException",
			"InternalFailure", "InternalServerError", "InternalServerException", "ServiceException",
			"ResourceConflictException", "RequestThrottled", "PriorRequestNotComplete":
			return true
		}
		return api.ErrorFault() == smithy.FaultServer
	}
	return false
}
