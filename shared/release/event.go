package release

import (
	"encoding/json"
	"time"
)

// EventType names an entry in a release's event log.
type EventType string

// Event types. The log is append-only; together its entries tell the whole
// story of a release, so every decision the control plane takes is one.
const (
	EventCreated               EventType = "ReleaseCreated"
	EventStarted               EventType = "ReleaseStarted"
	EventQueued                EventType = "ReleaseQueued"
	EventSuperseded            EventType = "ReleaseSuperseded"
	EventStageStarted          EventType = "StageStarted"
	EventStageSucceeded        EventType = "StageSucceeded"
	EventApprovalWaiting       EventType = "ApprovalWaiting"
	EventApproved              EventType = "Approved"
	EventRejected              EventType = "Rejected"
	EventApprovalTimedOut      EventType = "ApprovalTimedOut"
	EventWindowWaiting         EventType = "DeployWindowWaiting"
	EventWaveStarted           EventType = "WaveStarted"
	EventWaveSucceeded         EventType = "WaveSucceeded"
	EventLockAcquired          EventType = "LockAcquired"
	EventLockReleased          EventType = "LockReleased"
	EventTargetPrepared        EventType = "TargetPrepared"
	EventHookPassed            EventType = "HookPassed"
	EventHookFailed            EventType = "HookFailed"
	EventTrafficShifted        EventType = "TrafficShifted"
	EventBakeStarted           EventType = "BakeStarted"
	EventBakePassed            EventType = "BakePassed"
	EventBakeExtended          EventType = "BakeExtended"
	EventPromoted              EventType = "Promoted"
	EventAnalysis              EventType = "AnalysisJudged"
	EventSyntheticStarted      EventType = "SyntheticStarted"
	EventSyntheticStopped      EventType = "SyntheticStopped"
	EventAlarm                 EventType = "AlarmTriggered"
	EventLoadTestPassed        EventType = "LoadTestPassed"
	EventLoadTestFailed        EventType = "LoadTestFailed"
	EventTargetPromoted        EventType = "TargetPromoted"
	EventTargetSettled         EventType = "TargetSettled"
	EventRollbackRequest       EventType = "RollbackRequested"
	EventRollbackStarted       EventType = "RollbackStarted"
	EventRolledBack            EventType = "RolledBack"
	EventRestoreFailed         EventType = "RestoreFailed"
	EventReleaseSucceeded      EventType = "ReleaseSucceeded"
	EventReleaseRolledBack     EventType = "ReleaseRolledBack"
	EventReleaseFailed         EventType = "ReleaseFailed"
	EventReleaseNeedsAttention EventType = "ReleaseNeedsAttention"
	EventReleaseCancelled      EventType = "ReleaseCancelled"
	EventNote                  EventType = "Note"
)

// Event is one entry in a release's append-only log. Seq starts at 1 and has
// no gaps; the store assigns it.
type Event struct {
	ReleaseID string          `json:"releaseId"`
	Seq       int64           `json:"seq"`
	Time      time.Time       `json:"time"`
	Type      EventType       `json:"type"`
	Stage     string          `json:"stage,omitempty"`
	Wave      string          `json:"wave,omitempty"`
	Target    string          `json:"target,omitempty"`
	Message   string          `json:"message,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}
