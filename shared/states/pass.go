package states

import (
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

var passType = stateType{
	fields:        set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result", "Assign"),
	jsonataFields: set("Next", "End", "Output", "Assign"),
	new:           func() stateKind { return &passState{} },
}

// passState is a Pass state: it passes its input, or its Result, on.
type passState struct {
	leafKind
	// result is the Result field; nil when there is none.
	result *passResult
}

// passResult is a Pass state's Result.
type passResult struct {
	value any
	// member is set on a JSONPath Pass state that only writes its Result
	// into one member of its input ("ResultPath": "$.a", no InputPath,
	// Parameters, Assign or OutputPath): the member it writes. Such a
	// state may update an input it owns in place (see thread.owned).
	member string
	// size is the compact JSON size of value when member is set.
	size int
}

func (k *passState) parse(p *parser, st *state, o *jsonvalue.Object, loc string, _ exprs) {
	v, ok := o.Get("Result")
	if !ok {
		return
	}
	k.result = &passResult{value: v}
	if f, ok := st.flow.(*pathFlow); ok {
		if member, ok := f.resultMember(); ok {
			k.result.member, k.result.size = member, jsonvalue.Size(v)
		}
	}
}

func (k *passState) run(sr *stateRun) (any, *state, *failure.Error) {
	st := sr.st
	owned := sr.th.owned
	sr.th.owned = nil
	var out any
	var ferr *failure.Error
	switch {
	case k.result != nil && k.result.member != "" && sr.th.x.engine.count:
		out, ferr = k.runMember(sr, owned)
	default:
		out, ferr = k.pass(sr)
	}
	if ferr != nil {
		return nil, nil, ferr
	}
	return out, st.next, nil
}

// pass runs a Pass state through its data flow: its Result, if it has
// one, is its result.
func (k *passState) pass(sr *stateRun) (any, *failure.Error) {
	_, args, ferr := sr.workInput()
	if ferr != nil {
		return nil, ferr
	}
	if k.result != nil {
		return sr.st.flow.finish(sr, produced{value: k.result.value, from: fromResult})
	}
	return sr.st.flow.finish(sr, produced{value: args, from: fromInput})
}

// runMember runs a Pass state that writes its Result into one member of
// its input (passResult.member) while history is only counted. When the
// input is the object the previous state left owned and already has the
// member, it writes the member in place, which is indistinguishable from a
// copy because nothing else references that object; otherwise it copies as
// pass does. Either way the output is left owned for the next state.
func (k *passState) runMember(sr *stateRun, owned *jsonvalue.Object) (any, *failure.Error) {
	st, r := sr.st, k.result
	if obj, ok := sr.raw.(*jsonvalue.Object); ok && owned != nil && obj == owned {
		if prev, exists := owned.Get(r.member); exists {
			owned.Set(r.member, r.value)
			// The previous state checked the object's size; it cannot
			// have grown unless the new value is longer than the old one.
			if !jsonvalue.Exceeds(prev, r.size-1) {
				if ferr := sr.checkSize(owned, st.name); ferr != nil {
					return nil, ferr
				}
			}
			sr.th.owned = owned
			return owned, nil
		}
	}
	out, ferr := k.pass(sr)
	if ferr != nil {
		return nil, ferr
	}
	if obj, ok := out.(*jsonvalue.Object); ok && obj != sr.raw {
		sr.th.owned = obj
	}
	return out, nil
}
