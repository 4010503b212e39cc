package states

import (
	"encoding/json"
	"strconv"
	"time"
)

// HistoryEvent is one event of an execution's history, shaped like the
// HistoryEvent of GetExecutionHistory.
type HistoryEvent struct {
	Timestamp       time.Time `json:"-"`
	Type            string    `json:"type"`
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`

	ExecutionStartedEventDetails   *ExecutionStartedDetails `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceededEventDetails *OutputDetails           `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailedEventDetails    *ErrorDetails            `json:"executionFailedEventDetails,omitempty"`
	ExecutionAbortedEventDetails   *ErrorDetails            `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOutEventDetails  *ErrorDetails            `json:"executionTimedOutEventDetails,omitempty"`

	StateEnteredEventDetails *StateEnteredDetails `json:"stateEnteredEventDetails,omitempty"`
	StateExitedEventDetails  *StateExitedDetails  `json:"stateExitedEventDetails,omitempty"`

	TaskScheduledEventDetails *TaskScheduledDetails `json:"taskScheduledEventDetails,omitempty"`
	TaskStartedEventDetails   *TaskDetails          `json:"taskStartedEventDetails,omitempty"`
	TaskSubmittedEventDetails *TaskDetails          `json:"taskSubmittedEventDetails,omitempty"`
	TaskSucceededEventDetails *TaskDetails          `json:"taskSucceededEventDetails,omitempty"`
	TaskFailedEventDetails    *TaskDetails          `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOutEventDetails  *TaskDetails          `json:"taskTimedOutEventDetails,omitempty"`

	LambdaFunctionScheduledEventDetails *LambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceededEventDetails *OutputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailedEventDetails    *ErrorDetails           `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOutEventDetails  *ErrorDetails           `json:"lambdaFunctionTimedOutEventDetails,omitempty"`

	MapStateStartedEventDetails       *MapStartedDetails   `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStartedEventDetails   *MapIterationDetails `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceededEventDetails *MapIterationDetails `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailedEventDetails    *MapIterationDetails `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAbortedEventDetails   *MapIterationDetails `json:"mapIterationAbortedEventDetails,omitempty"`
}

// MarshalJSON writes the event with its timestamp in epoch seconds, as the
// Step Functions JSON API does.
func (e HistoryEvent) MarshalJSON() ([]byte, error) {
	type plain HistoryEvent
	b, err := json.Marshal(plain(e))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatFloat(float64(e.Timestamp.UnixMilli())/1000, 'f', -1, 64)
	out := make([]byte, 0, len(b)+len(ts)+14)
	out = append(out, `{"timestamp":`...)
	out = append(out, ts...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, b[1:]...)
	return out, nil
}

// ExecutionStartedDetails are the details of ExecutionStarted.
type ExecutionStartedDetails struct {
	Input           string            `json:"input"`
	InputDetails    *PayloadDetails   `json:"inputDetails,omitempty"`
	RoleArn         string            `json:"roleArn,omitempty"`
	StateMachineArn string            `json:"-"`
	Extra           map[string]string `json:"-"`
}

// PayloadDetails tells whether a payload was truncated.
type PayloadDetails struct {
	Truncated bool `json:"truncated"`
}

// OutputDetails carry an output payload.
type OutputDetails struct {
	Output        string          `json:"output"`
	OutputDetails *PayloadDetails `json:"outputDetails,omitempty"`
}

// ErrorDetails carry an error name and cause.
type ErrorDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// StateEnteredDetails are the details of a *StateEntered event.
type StateEnteredDetails struct {
	Name         string          `json:"name"`
	Input        string          `json:"input"`
	InputDetails *PayloadDetails `json:"inputDetails,omitempty"`
}

// StateExitedDetails are the details of a *StateExited event.
type StateExitedDetails struct {
	Name          string          `json:"name"`
	Output        string          `json:"output"`
	OutputDetails *PayloadDetails `json:"outputDetails,omitempty"`
}

// TaskScheduledDetails are the details of TaskScheduled.
type TaskScheduledDetails struct {
	ResourceType       string `json:"resourceType"`
	Resource           string `json:"resource"`
	Region             string `json:"region"`
	Parameters         string `json:"parameters"`
	TimeoutInSeconds   int64  `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64  `json:"heartbeatInSeconds,omitempty"`
}

// TaskDetails are the details of the other Task* events.
type TaskDetails struct {
	ResourceType  string          `json:"resourceType"`
	Resource      string          `json:"resource"`
	Output        string          `json:"output,omitempty"`
	OutputDetails *PayloadDetails `json:"outputDetails,omitempty"`
	Error         string          `json:"error,omitempty"`
	Cause         string          `json:"cause,omitempty"`
}

// LambdaScheduledDetails are the details of LambdaFunctionScheduled.
type LambdaScheduledDetails struct {
	Resource         string          `json:"resource"`
	Input            string          `json:"input"`
	InputDetails     *PayloadDetails `json:"inputDetails,omitempty"`
	TimeoutInSeconds int64           `json:"timeoutInSeconds,omitempty"`
}

// MapStartedDetails are the details of MapStateStarted.
type MapStartedDetails struct {
	Length int `json:"length"`
}

// MapIterationDetails are the details of MapIteration* events.
type MapIterationDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}
