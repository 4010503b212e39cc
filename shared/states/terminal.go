package states

import (
	"fmt"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/intrinsic"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
)

var succeedType = stateType{
	fields:        set("InputPath", "OutputPath"),
	jsonataFields: set("Output"),
	new:           func() stateKind { return &succeedState{} },
}

// succeedState is a Succeed state: it ends its graph with its input.
type succeedState struct{ leafKind }

func (*succeedState) parse(*parser, *state, *jsonvalue.Object, string, exprs) {}

func (*succeedState) run(sr *stateRun) (any, *state, *failure.Error) {
	flow := sr.st.flow
	eff, ferr := flow.input(sr)
	if ferr != nil {
		return nil, nil, ferr
	}
	out, ferr := flow.finish(sr, produced{value: eff, from: fromInput})
	return out, nil, ferr
}

var failType = stateType{
	fields:        set("Error", "ErrorPath", "Cause", "CausePath"),
	jsonataFields: set("Error", "Cause"),
	new:           func() stateKind { return &failState{} },
}

// failState is a Fail state: it fails its graph with an error and a cause.
type failState struct {
	leafKind
	error, cause failField
}

// failField is a Fail state's Error or Cause: a literal, an ErrorPath or
// CausePath (JSONPath), or an expression (JSONata).
type failField struct {
	lit  string
	dyn  dynString
	expr *payload.JSONataTemplate
}

func (k *failState) parse(p *parser, _ *state, o *jsonvalue.Object, loc string, jx exprs) {
	c := p.c
	var hasError, hasCause bool
	k.error.lit, hasError = stringField(c, o, loc, "Error", false)
	k.cause.lit, hasCause = stringField(c, o, loc, "Cause", false)
	k.error.dyn = p.dynString(o, loc, "ErrorPath")
	k.cause.dyn = p.dynString(o, loc, "CausePath")
	if hasError && k.error.dyn.set() {
		c.add(CodeSchema, loc, "Only one of 'Error' or 'ErrorPath' may be set")
	}
	if hasCause && k.cause.dyn.set() {
		c.add(CodeSchema, loc, "Only one of 'Cause' or 'CausePath' may be set")
	}
	k.error.expr, k.cause.expr = jx["Error"], jx["Cause"]
}

func (k *failState) run(sr *stateRun) (any, *state, *failure.Error) {
	name, ferr := k.error.eval(sr, "Error")
	if ferr != nil {
		return nil, nil, ferr
	}
	cause, ferr := k.cause.eval(sr, "Cause")
	if ferr != nil {
		return nil, nil, ferr
	}
	return nil, nil, &failure.Error{Name: name, Cause: cause}
}

// eval returns the field's value for this run of the Fail state.
func (f failField) eval(sr *stateRun, field string) (string, *failure.Error) {
	switch {
	case f.expr != nil:
		v, ferr := sr.jEval(f.expr, sr.bindings())
		if ferr != nil {
			return "", ferr
		}
		s, ok := v.(string)
		if !ok {
			return "", sr.fail(&failure.Error{Name: failure.QueryEvaluationError,
				Cause: "The JSONata expression specified for the field '" + field + "' returned a value that is not a string."})
		}
		return s, nil
	case f.dyn.set():
		s, err := sr.dynString(f.dyn, field+"Path")
		if err != nil {
			return "", sr.fail(err)
		}
		return s, nil
	}
	return f.lit, nil
}

// dynString is an ErrorPath/CausePath: a reference path or an intrinsic call.
type dynString struct {
	path *jsonpath.Path
	call *intrinsic.Call
}

func (d dynString) set() bool { return d.path != nil || d.call != nil }

// String returns the expression as written.
func (d dynString) String() string {
	if d.call != nil {
		return d.call.String()
	}
	return d.path.String()
}

func (p *parser) dynString(o *jsonvalue.Object, loc, field string) dynString {
	s, ok := stringField(p.c, o, loc, field, false)
	if !ok {
		return dynString{}
	}
	if intrinsic.IsIntrinsic(s) {
		call, err := intrinsic.Parse(s)
		if err != nil {
			p.c.add(CodeInvalidIntrinsic, loc+"/"+field, "%s", err.Error())
			return dynString{}
		}
		return dynString{call: call}
	}
	path, err := jsonpath.Parse(s)
	if err != nil || !path.IsReference() {
		p.c.add(CodeInvalidJSONPath, loc+"/"+field, "The value for the field '%s' must be a valid ReferencePath or an intrinsic function", field)
		return dynString{}
	}
	return dynString{path: path}
}

func (sr *stateRun) dynString(d dynString, field string) (string, error) {
	env := sr.env(sr.raw)
	var v any
	var err error
	if d.call != nil {
		v, err = d.call.Eval(env)
	} else {
		v, err = env.Lookup(d.path)
		if err == errNullInput {
			return "", err
		}
		if err != nil {
			return "", pathNotFound(d.path, field, sr.raw)
		}
	}
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		what := d.String()
		return "", runtimeError(fmt.Sprintf("The %s field's value '%s' is not a string.", field, what))
	}
	return s, nil
}
