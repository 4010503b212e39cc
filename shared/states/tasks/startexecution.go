// Package tasks holds the embedded engine's built-in service integrations
// that need the engine itself: states:startExecution with the
// request-response, .sync and .sync:2 patterns, so state machines can run
// nested executions exactly as Step Functions does.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

// StartExecutionResource is the integration's resource, without a pattern
// suffix.
const StartExecutionResource = "arn:aws:states:::states:startExecution"

// RegisterStartExecution serves states:startExecution (all three patterns)
// from engine's registered state machines.
func RegisterStartExecution(r *states.Registry, engine *states.Engine) {
	h := states.TaskFunc(func(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
		return startExecution(ctx, engine, req)
	})
	for _, suffix := range []string{"", ".sync", ".sync:2"} {
		r.Handle(StartExecutionResource+suffix, h)
	}
}

type startParams struct {
	StateMachineArn string          `json:"StateMachineArn"`
	Name            string          `json:"Name"`
	Input           json.RawMessage `json:"Input"`
}

func startExecution(ctx context.Context, engine *states.Engine, req states.TaskRequest) (json.RawMessage, error) {
	var p startParams
	if err := json.Unmarshal(req.Input, &p); err != nil || p.StateMachineArn == "" {
		return nil, failure.New("States.Runtime", "The field 'StateMachineArn' is required by the states:startExecution integration")
	}
	sm, ok := engine.StateMachine(p.StateMachineArn)
	if !ok {
		return nil, failure.Newf("StepFunctions.StateMachineDoesNotExistException", "State Machine Does Not Exist: '%s' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist)", p.StateMachineArn)
	}
	input := []byte(p.Input)
	var s string
	if json.Unmarshal(p.Input, &s) == nil {
		input = []byte(s) // Input given as a JSON string
	}
	if len(input) == 0 {
		input = []byte("{}")
	}
	x, err := engine.Start(ctx, sm, states.StartInput{Name: p.Name, Input: input, StateMachineArn: p.StateMachineArn})
	if err != nil {
		var fe *failure.Error
		if errors.As(err, &fe) {
			return nil, failure.New("StepFunctions."+fe.Name+"Exception", fe.Cause)
		}
		return nil, failure.Newf("StepFunctions.AWSStepFunctionsException", "%v", err)
	}
	if req.Pattern == states.RequestResponse {
		return json.Marshal(struct {
			ExecutionArn string `json:"ExecutionArn"`
			StartDate    int64  `json:"StartDate"`
		}{x.ARN(), x.StartDate().UnixMilli()})
	}
	res, err := await(ctx, engine.Clock(), x)
	if err != nil {
		// The parent task was cancelled (its Map failed, it timed out or it
		// was stopped): Step Functions stops the child too.
		x.Stop("States.Aborted", "The parent execution's task was cancelled")
		return nil, err
	}
	desc := describe(x, res, req.Pattern == states.Sync2)
	out, merr := json.Marshal(desc)
	if merr != nil {
		return nil, merr
	}
	if res.Status != states.StatusSucceeded {
		return nil, failure.New(failure.TaskFailed, string(out))
	}
	return out, nil
}

// description is DescribeExecution's answer as the .sync patterns return it;
// .sync:2 carries Input and Output as JSON instead of strings.
type description struct {
	ExecutionArn    string          `json:"ExecutionArn"`
	Input           json.RawMessage `json:"Input"`
	InputDetails    map[string]bool `json:"InputDetails"`
	Name            string          `json:"Name"`
	Output          json.RawMessage `json:"Output,omitempty"`
	OutputDetails   map[string]bool `json:"OutputDetails,omitempty"`
	Error           string          `json:"Error,omitempty"`
	Cause           string          `json:"Cause,omitempty"`
	StartDate       int64           `json:"StartDate"`
	StateMachineArn string          `json:"StateMachineArn"`
	Status          string          `json:"Status"`
	StopDate        int64           `json:"StopDate"`
}

func describe(x *states.Execution, res states.Result, asJSON bool) description {
	d := description{
		ExecutionArn: x.ARN(), Name: x.Name(), StateMachineArn: x.StateMachineARN(), Status: res.Status,
		InputDetails: map[string]bool{"Included": true},
		StartDate:    x.StartDate().UnixMilli(), StopDate: stopDate(x),
		Error: res.Error, Cause: res.Cause,
	}
	d.Input = encode(x.Input(), asJSON)
	if res.Status == states.StatusSucceeded {
		d.Output = encode(res.Output, asJSON)
		d.OutputDetails = map[string]bool{"Included": true}
	}
	return d
}

func encode(raw []byte, asJSON bool) json.RawMessage {
	if len(raw) == 0 {
		raw = []byte("null")
	}
	if asJSON {
		return json.RawMessage(raw)
	}
	s, _ := json.Marshal(string(raw))
	return s
}

func stopDate(x *states.Execution) int64 {
	if t := x.StopDate(); !t.IsZero() {
		return t.UnixMilli()
	}
	return time.Time{}.UnixMilli()
}

// await waits for a child execution while telling the engine's clock that
// this task is parked, so virtual time can move for the child. The child's
// end and this task's resumption are two steps, so between them the virtual
// clock may fire the next pending timer a moment early; the order of events
// within each execution is unaffected.
func await(ctx context.Context, clock states.Clock, x *states.Execution) (states.Result, error) {
	clock.Park()
	select {
	case <-x.Done():
	case <-ctx.Done():
	}
	clock.Unpark()
	if err := ctx.Err(); err != nil {
		return states.Result{}, err
	}
	return x.Wait(ctx)
}
