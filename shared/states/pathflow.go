package states

import (
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
)

// pathFlow is the JSONPath data flow. A field the state type does not
// have is left zero: "$" for the paths, nil for the templates.
type pathFlow struct {
	inputPath, resultPath, outputPath optPath
	parameters, resultSelector        *payload.Template
	assign                            *payload.Template
}

var _ dataflow = (*pathFlow)(nil)

// pathFlow parses the JSONPath data-flow fields of a state that the
// state's type has (allowed) and returns the variables Assign assigns.
func (p *parser) pathFlow(o *jsonvalue.Object, loc string, allowed map[string]bool) (*pathFlow, []string) {
	f := &pathFlow{}
	if allowed["InputPath"] {
		f.inputPath = p.optPath(o, loc, "InputPath", false)
		f.outputPath = p.optPath(o, loc, "OutputPath", false)
	}
	if allowed["ResultPath"] {
		f.resultPath = p.optPath(o, loc, "ResultPath", true)
	}
	if allowed["Parameters"] {
		f.parameters = p.template(o, loc, "Parameters")
	}
	if allowed["ResultSelector"] {
		f.resultSelector = p.template(o, loc, "ResultSelector")
	}
	var vars []string
	if allowed["Assign"] {
		if f.assign = p.template(o, loc, "Assign"); f.assign != nil {
			vars = p.checkAssignNames(o, loc)
		}
	}
	return f, vars
}

// resultMember reports the member of its input that a Pass state with
// this flow writes its Result into when that is all the flow does
// ("ResultPath": "$.a", no InputPath, Parameters, Assign or OutputPath).
func (f *pathFlow) resultMember() (string, bool) {
	if f.parameters != nil || f.assign != nil || f.inputPath != (optPath{}) || f.outputPath != (optPath{}) || f.resultPath.path == nil {
		return "", false
	}
	return f.resultPath.path.Member()
}

func (f *pathFlow) input(sr *stateRun) (any, *failure.Error) {
	return sr.selectPath(f.inputPath, sr.raw)
}

func (f *pathFlow) arguments(sr *stateRun, eff any) (any, *failure.Error) {
	if f.parameters == nil {
		return eff, nil
	}
	return sr.applyTemplate(f.parameters, eff, nil)
}

func (f *pathFlow) finish(sr *stateRun, res produced) (any, *failure.Error) {
	v := res.value
	var ferr *failure.Error
	if f.resultSelector != nil {
		if v, ferr = sr.applyTemplate(f.resultSelector, v, nil); ferr != nil {
			return nil, ferr
		}
	}
	var ruleAssign *payload.Template
	if r, ok := res.rule.(*pathFlow); ok {
		ruleAssign = r.assign
	}
	if ferr := sr.assignAll(v, f.assign, ruleAssign); ferr != nil {
		return nil, ferr
	}
	out, ferr := sr.applyResultPath(f.resultPath, sr.raw, v)
	if ferr != nil {
		return nil, ferr
	}
	if out, ferr = sr.selectPath(f.outputPath, out); ferr != nil {
		return nil, ferr
	}
	// Step Functions checks the size of what a state produced, not of an
	// input passed on.
	if res.from == fromResult || f.parameters != nil {
		if ferr := sr.checkSize(out, sr.st.name); ferr != nil {
			return nil, ferr
		}
	}
	return out, nil
}

// selectPath applies an InputPath, OutputPath or ItemsPath.
func (sr *stateRun) selectPath(op optPath, v any) (any, *failure.Error) {
	if op.isNull {
		return jsonvalue.NewObject(0), nil
	}
	if op.path == nil {
		return v, nil
	}
	r, err := sr.env(v).Lookup(op.path)
	if err == errNullInput {
		return nil, sr.fail(err)
	}
	if err != nil {
		return nil, sr.fail(runtimeError("Invalid path '" + op.path.String() + "' : " + err.Error()))
	}
	return r, nil
}

// applyResultPath combines the raw input and a result as ResultPath says.
func (sr *stateRun) applyResultPath(op optPath, raw, result any) (any, *failure.Error) {
	if op.isNull {
		return raw, nil
	}
	if op.path == nil {
		return result, nil
	}
	out, err := op.path.Set(raw, result)
	if err != nil {
		return nil, &failure.Error{Name: failure.ResultPathMatchFailure, Cause: err.Error()}
	}
	return out, nil
}

func (sr *stateRun) applyTemplate(t *payload.Template, input any, item *mapItem) (any, *failure.Error) {
	if input == nil && !t.IsStatic() {
		return nil, sr.fail(errNullInput)
	}
	env := &evalEnv{sr: sr, input: input, mapItem: item}
	v, err := t.Apply(env)
	if err != nil {
		return nil, sr.fail(err)
	}
	return v, nil
}

// assignAll evaluates the Assign templates ts (a state's and a matching
// Choice rule's, either nil) against input with the variables as they
// were, then stores the results in order.
func (sr *stateRun) assignAll(input any, ts ...*payload.Template) *failure.Error {
	var objs [2]*jsonvalue.Object
	results := objs[:0]
	for _, t := range ts {
		if t == nil {
			continue
		}
		v, ferr := sr.applyTemplate(t, input, nil)
		if ferr != nil {
			return ferr
		}
		if obj, ok := v.(*jsonvalue.Object); ok {
			results = append(results, obj)
		}
	}
	sr.setVars(results)
	return nil
}

// setVars stores assigned variables in the thread's scope.
func (sr *stateRun) setVars(objs []*jsonvalue.Object) {
	for _, obj := range objs {
		for i := 0; i < obj.Len(); i++ {
			k, val := obj.At(i)
			sr.th.scope.set(k, val)
		}
	}
	if len(objs) > 0 {
		sr.vars = nil
	}
}
