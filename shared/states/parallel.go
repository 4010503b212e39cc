package states

import (
	"fmt"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

var parallelType = stateType{
	fields:        set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Branches", "Assign"),
	jsonataFields: set("Next", "End", "Arguments", "Output", "Assign", "Branches", "Retry", "Catch"),
	new:           func() stateKind { return &parallelState{} },
}

// parallelState is a Parallel state: it runs its branches on its input at
// once, and its result is the array of their outputs.
type parallelState struct {
	retrying
	branches []*graph
}

func (k *parallelState) parse(p *parser, st *state, o *jsonvalue.Object, loc string, _ exprs) {
	k.parseRetrying(p, o, loc)
	c := p.c
	v, ok := o.Get("Branches")
	if !ok {
		c.add(CodeSchema, loc, "Missing required field 'Branches'")
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		c.add(CodeSchema, loc+"/Branches", "The field 'Branches' must be a non-empty array")
		return
	}
	for i, b := range arr {
		bloc := fmt.Sprintf("%s/Branches/%d", loc, i)
		bo, ok := b.(*jsonvalue.Object)
		if !ok {
			c.add(CodeSchema, bloc, "Expected value of type: Object")
			continue
		}
		for _, k := range bo.Keys() {
			if k != "StartAt" && k != "States" && k != "Comment" && k != "QueryLanguage" {
				c.add(CodeSchema, pointer(bloc, k), "The field %q is not supported by Step Functions", k)
			}
		}
		k.branches = append(k.branches, p.graph(bo, bloc))
	}
}

func (k *parallelState) subgraphs(loc string, visit func(*graph, string)) {
	for i, b := range k.branches {
		visit(b, fmt.Sprintf("%s/Branches/%d", loc, i))
	}
}

func (k *parallelState) waits() bool {
	if k.retrying.waits() {
		return true
	}
	for _, b := range k.branches {
		if b != nil && !b.pure {
			return true
		}
	}
	return false
}

func (k *parallelState) run(sr *stateRun) (any, *state, *failure.Error) {
	return sr.withRetry(&k.retrying, k)
}

func (k *parallelState) work(sr *stateRun) (any, *failure.Error) {
	st := sr.st
	th := sr.th
	_, args, ferr := sr.workInput()
	if ferr != nil {
		return nil, ferr
	}
	th.record(event{info: infoParallelStateStarted})
	pure := true
	for _, b := range k.branches {
		pure = pure && b.pure
	}
	r := th.runChildren(len(k.branches), 0, pure, func(i int, child *thread) (any, *failure.Error) {
		return child.runGraph(k.branches[i], args)
	}, func(*childResults) bool { return true })
	if th.context().Err() != nil {
		return nil, errAborted
	}
	if r.firstErr != nil {
		th.record(event{info: infoParallelStateFailed})
		return nil, r.firstErr
	}
	th.record(event{info: infoParallelStateSucceeded})
	return st.flow.finish(sr, produced{value: r.out, from: fromResult})
}
