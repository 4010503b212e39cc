package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// StartExecutionResource is the resource of the nested-execution integration.
const StartExecutionResource = "arn:aws:states:::states:startExecution"

// Starter starts executions of registered state machines; *states.Engine is
// one.
type Starter interface {
	StateMachine(arn string) (*states.StateMachine, bool)
	Start(ctx context.Context, sm *states.StateMachine, in states.StartInput) (*states.Execution, error)
	Clock() states.Clock
}

// StartExecution returns the handler for states:startExecution. The plain
// form returns {ExecutionArn, StartDate} at once; .sync waits and returns
// the DescribeExecution shape with Input and Output as JSON strings; .sync:2
// returns them as JSON values. A child that does not succeed fails the task
// with States.TaskFailed and the description as cause. An unknown machine
// fails with StepFunctions.StateMachineDoesNotExistException.
func StartExecution(s Starter) states.TaskHandler {
	return &startHandler{s: s}
}

type startHandler struct{ s Starter }

type startParams struct {
	StateMachineArn string          `json:"StateMachineArn"`
	Input           json.RawMessage `json:"Input"`
	Name            string          `json:"Name"`
}

func (h *startHandler) Invoke(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
	var p startParams
	if err := json.Unmarshal(req.Input, &p); err != nil {
		return nil, failure.Newf(failure.TaskFailed, "Invalid startExecution parameters: %v", err)
	}
	sm, ok := h.s.StateMachine(p.StateMachineArn)
	if !ok {
		return nil, failure.New("StepFunctions.StateMachineDoesNotExistException",
			fmt.Sprintf("State Machine Does Not Exist: '%s' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist)", p.StateMachineArn))
	}
	input := []byte(p.Input)
	var s string
	if json.Unmarshal(p.Input, &s) == nil {
		input = []byte(s) // a string Input is the JSON text itself
	}
	if len(input) == 0 {
		input = []byte("{}")
	}
	x, err := h.s.Start(ctx, sm, states.StartInput{Name: p.Name, Input: input, StateMachineArn: p.StateMachineArn})
	if err != nil {
		var fe *failure.Error
		if ok := asFailure(err, &fe); ok {
			return nil, failure.New("StepFunctions."+fe.Name+"Exception", fe.Cause)
		}
		return nil, err
	}
	if req.Pattern == states.RequestResponse || req.Pattern == states.WaitForTaskToken {
		obj := jsonvalue.NewObject(2)
		obj.Set("ExecutionArn", x.ARN())
		obj.Set("StartDate", epochMillis(x))
		if req.Pattern == states.WaitForTaskToken {
			return nil, nil
		}
		return jsonvalue.Marshal(obj)
	}
	// Waiting for the child is not activity of this engine's clock.
	clock := h.s.Clock()
	clock.Park()
	res, err := x.Wait(ctx)
	clock.Unpark()
	if err != nil {
		x.Stop("States.Aborted", "the parent execution stopped")
		return nil, err
	}
	desc, err := describe(x, res, req.Pattern == states.Sync2)
	if err != nil {
		return nil, err
	}
	if res.Status != states.StatusSucceeded {
		return nil, failure.New(failure.TaskFailed, string(desc))
	}
	return desc, nil
}

func asFailure(err error, fe **failure.Error) bool {
	f, ok := err.(*failure.Error)
	if ok {
		*fe = f
	}
	return ok
}

func epochMillis(x *states.Execution) jsonvalue.Number {
	return jsonvalue.Number(strconv.FormatInt(x.StartDate().UnixMilli(), 10))
}

// describe builds the DescribeExecution-shaped result of a .sync task.
func describe(x *states.Execution, res states.Result, asJSON bool) ([]byte, error) {
	obj := jsonvalue.NewObject(12)
	included := func() *jsonvalue.Object {
		o := jsonvalue.NewObject(1)
		o.Set("Included", true)
		return o
	}
	obj.Set("ExecutionArn", x.ARN())
	if asJSON {
		in, err := jsonvalue.Decode(x.Input())
		if err != nil {
			return nil, err
		}
		obj.Set("Input", in)
	} else {
		obj.Set("Input", string(x.Input()))
	}
	obj.Set("InputDetails", included())
	obj.Set("Name", x.Name())
	if res.Status == states.StatusSucceeded {
		if asJSON {
			out, err := jsonvalue.Decode(res.Output)
			if err != nil {
				return nil, err
			}
			obj.Set("Output", out)
		} else {
			obj.Set("Output", string(res.Output))
		}
		obj.Set("OutputDetails", included())
	}
	obj.Set("StartDate", epochMillis(x))
	obj.Set("StateMachineArn", x.StateMachineARN())
	obj.Set("Status", res.Status)
	obj.Set("StopDate", jsonvalue.Number(strconv.FormatInt(x.StopDate().UnixMilli(), 10)))
	if res.Error != "" {
		obj.Set("Error", res.Error)
	}
	if res.Cause != "" {
		obj.Set("Cause", res.Cause)
	}
	return jsonvalue.Marshal(obj)
}
