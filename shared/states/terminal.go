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
	st := sr.st
	if st.jsonata {
		out, ferr := sr.jFinish(st.jOutput, nil, sr.jVars(sr.raw, nil, nil, nil), sr.raw)
		return out, nil, ferr
	}
	eff, ferr := sr.selectPath(st.inputPath, sr.raw)
	if ferr != nil {
		return nil, nil, ferr
	}
	out, ferr := sr.selectPath(st.outputPath, eff)
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
	if sr.st.jsonata {
		return nil, nil, k.failJSONata(sr)
	}
	name, cause := k.error.lit, k.cause.lit
	var err error
	if k.error.dyn.set() {
		if name, err = sr.dynString(k.error.dyn, "ErrorPath"); err != nil {
			return nil, nil, sr.fail(err)
		}
	}
	if k.cause.dyn.set() {
		if cause, err = sr.dynString(k.cause.dyn, "CausePath"); err != nil {
			return nil, nil, sr.fail(err)
		}
	}
	return nil, nil, &failure.Error{Name: name, Cause: cause}
}

func (k *failState) failJSONata(sr *stateRun) *failure.Error {
	name, cause := k.error.lit, k.cause.lit
	vars := sr.jVars(sr.raw, nil, nil, nil)
	for _, f := range []struct {
		t     *payload.JSONataTemplate
		dst   *string
		field string
	}{{k.error.expr, &name, "Error"}, {k.cause.expr, &cause, "Cause"}} {
		if f.t == nil {
			continue
		}
		v, ferr := sr.jEval(f.t, vars)
		if ferr != nil {
			return ferr
		}
		s, ok := v.(string)
		if !ok {
			return sr.fail(&failure.Error{Name: failure.QueryEvaluationError,
				Cause: "The JSONata expression specified for the field '" + f.field + "' returned a value that is not a string."})
		}
		*f.dst = s
	}
	return &failure.Error{Name: name, Cause: cause}
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
