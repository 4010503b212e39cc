package states

import "github.com/shipwave/shipwave/shared/states/failure"

// dataflow is how a state moves data in its query language, chosen once
// at Parse: a *pathFlow for JSONPath (InputPath, Parameters,
// ResultSelector, ResultPath, OutputPath, Assign) or a *jsonataFlow for
// JSONata (Arguments, Output, Assign). Every state holds one, and so does
// every catcher and Choice rule (their Assign, ResultPath or Output); the
// state types run through it and never ask which language they are in.
type dataflow interface {
	// input returns the state's effective input: its raw input after
	// InputPath (JSONPath), or the raw input itself (JSONata).
	input(sr *stateRun) (any, *failure.Error)
	// arguments returns the input of the state's work given its effective
	// input: Parameters applied to eff (JSONPath) or Arguments evaluated
	// (JSONata); eff when the state has neither.
	arguments(sr *stateRun, eff any) (any, *failure.Error)
	// finish returns the state's output from what it produced (res) and
	// applies its assignments: ResultSelector, Assign, ResultPath,
	// OutputPath and the payload size check (JSONPath), or Assign and
	// Output, both evaluated before the assignments are made, and the size
	// check (JSONata).
	finish(sr *stateRun, res produced) (any, *failure.Error)
}

// produced is what a state hands its dataflow to finish.
type produced struct {
	// value is what the state produced, as from says.
	value any
	from  source
	// rule is the data flow of the Choice rule that matched, if any: its
	// Assign applies with the state's, and its Output (JSONata) replaces
	// the state's. It is of the same type as the state's dataflow.
	rule dataflow
}

// source says what a produced value is.
type source int

const (
	// fromInput: the state produced nothing (Wait, Choice, Succeed, a
	// Pass state without Result); value is its effective input, after
	// Parameters.
	fromInput source = iota
	// fromResult: value is the state's result, from its work (Task,
	// Parallel, Map) or a Pass state's Result. JSONata binds it as
	// $states.result.
	fromResult
	// fromError: value is a caught error's output ({"Error", "Cause"}).
	// JSONata binds it as $states.errorOutput.
	fromError
)

// workInput runs the state's data flow up to its work: it returns the
// effective input and the work's input (its arguments).
func (sr *stateRun) workInput() (eff, args any, ferr *failure.Error) {
	flow := sr.st.flow
	if eff, ferr = flow.input(sr); ferr != nil {
		return nil, nil, ferr
	}
	if args, ferr = flow.arguments(sr, eff); ferr != nil {
		return nil, nil, ferr
	}
	return eff, args, nil
}
