package states

import (
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
	"github.com/shipwave/shipwave/shared/states/payload/jsonata"
)

// exprFields are the fields that take a literal or a whole "{% %}"
// expression, in the order they are compiled.
var exprFields = [...]string{"Seconds", "Timestamp", "TimeoutSeconds", "HeartbeatSeconds",
	"MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage", "Error", "Cause"}

// jsonataFlow is the JSONata data flow; a field the state does not have
// is nil.
type jsonataFlow struct {
	args, output, assign *payload.JSONataTemplate
}

var _ dataflow = (*jsonataFlow)(nil)

// jsonataFields compiles the JSONata fields of a state: its data flow
// (the fields of it the type has, allowed), the variables its Assign
// assigns, the object without those fields, for the parsers shared with
// JSONPath to read the literal fields, and the expressions of the fields
// that take a literal or an expression (exprFields).
func (p *parser) jsonataFields(o *jsonvalue.Object, loc string, allowed map[string]bool) (*jsonataFlow, []string, *jsonvalue.Object, exprs) {
	f := &jsonataFlow{}
	var vars []string
	args := p.jsonataField(o, loc, "Arguments")
	output := p.jsonataField(o, loc, "Output")
	assign := p.jsonataField(o, loc, "Assign")
	if assign != nil {
		if _, isObj := mustGet(o, "Assign").(*jsonvalue.Object); !isObj {
			p.c.add(CodeSchema, loc+"/Assign", "Expected value of type: Object")
		}
		vars = p.checkAssignNames(o, loc)
	}
	// A field the type does not have is compiled and checked, but not run.
	if allowed["Arguments"] {
		f.args = args
	}
	if allowed["Output"] {
		f.output = output
	}
	if allowed["Assign"] {
		f.assign = assign
	}
	var jx exprs
	if allowed["Items"] {
		jx = exprs{"Items": p.jsonataField(o, loc, "Items"), "ItemSelector": p.jsonataField(o, loc, "ItemSelector")}
	}
	for _, field := range exprFields {
		v, ok := o.Get(field)
		if !ok || !allowed[field] {
			continue
		}
		if s, isStr := v.(string); !isStr || !payload.IsJSONata(s) {
			continue
		}
		if t := p.jsonataField(o, loc, field); t != nil {
			if jx == nil {
				jx = exprs{}
			}
			jx[field] = t
		}
	}
	rest := jsonvalue.NewObject(o.Len())
	for i := 0; i < o.Len(); i++ {
		k, v := o.At(i)
		switch k {
		case "Arguments", "Output", "Assign", "Items", "ItemSelector":
			continue
		}
		if jx[k] == nil {
			rest.Set(k, v)
		}
	}
	return f, vars, rest, jx
}

func mustGet(o *jsonvalue.Object, k string) any {
	v, _ := o.Get(k)
	return v
}

// jsonataField compiles a JSONata template field; nil when absent.
func (p *parser) jsonataField(o *jsonvalue.Object, loc, field string) *payload.JSONataTemplate {
	return p.jsonataFieldNamed(o, loc, field, field)
}

// jsonataFieldNamed compiles field, naming it name in causes (Step
// Functions names a rule's fields "Choices[1]/Condition").
func (p *parser) jsonataFieldNamed(o *jsonvalue.Object, loc, field, name string) *payload.JSONataTemplate {
	v, ok := o.Get(field)
	if !ok {
		return nil
	}
	t, err := payload.CompileJSONata(name, v)
	if err != nil {
		p.compileError(loc, field, err)
		return nil
	}
	return t
}

func (f *jsonataFlow) input(sr *stateRun) (any, *failure.Error) { return sr.raw, nil }

func (f *jsonataFlow) arguments(sr *stateRun, eff any) (any, *failure.Error) {
	if f.args == nil {
		return eff, nil
	}
	return sr.jEval(f.args, sr.bindings())
}

// finish evaluates Assign and Output, in that order, as Step Functions
// does (an Assign failure is reported before an Output one); both see the
// variables as they were, then the assignments are made. The output
// defaults to the result or error output, else to the raw input.
func (f *jsonataFlow) finish(sr *stateRun, res produced) (any, *failure.Error) {
	output, assigns := f.output, [2]*payload.JSONataTemplate{f.assign}
	if r, ok := res.rule.(*jsonataFlow); ok {
		if r.output != nil {
			output = r.output
		}
		assigns[1] = r.assign
	}
	var vars map[string]any
	def := res.value
	switch res.from {
	case fromResult:
		vars = sr.jVars(sr.raw, res.value, nil, nil)
	case fromError:
		vars = sr.jVars(sr.raw, nil, res.value, nil)
	default:
		vars, def = sr.bindings(), sr.raw
	}
	var buf [2]*jsonvalue.Object
	assigned := buf[:0]
	for _, t := range assigns {
		if t == nil {
			continue
		}
		v, ferr := sr.jEval(t, vars)
		if ferr != nil {
			return nil, ferr
		}
		if obj, ok := v.(*jsonvalue.Object); ok {
			assigned = append(assigned, obj)
		}
	}
	out := def
	if output != nil {
		v, ferr := sr.jEval(output, vars)
		if ferr != nil {
			return nil, ferr
		}
		out = v
	}
	sr.setVars(assigned)
	if ferr := sr.checkSize(out, sr.st.name); ferr != nil {
		return nil, ferr
	}
	return out, nil
}

// bindings are the JSONata bindings of the current attempt with no
// result, error output or Map item, built once.
func (sr *stateRun) bindings() map[string]any {
	if sr.vars == nil {
		sr.vars = sr.jVars(sr.raw, nil, nil, nil)
	}
	return sr.vars
}

// jVars builds JSONata bindings: $states and every visible variable.
func (sr *stateRun) jVars(input any, result, errOut any, item *mapItem) map[string]any {
	vars := map[string]any{}
	for s := sr.th.scope; s != nil; s = s.parent {
		for k, v := range s.vars {
			if _, shadowed := vars[k]; !shadowed {
				vars[k] = v
			}
		}
	}
	st := jsonvalue.NewObject(4)
	st.Set("input", input)
	st.Set("context", sr.contextObject(item))
	if result != nil {
		st.Set("result", result)
	}
	if errOut != nil {
		st.Set("errorOutput", errOut)
	}
	vars["states"] = st
	return vars
}

func (sr *stateRun) jEval(t *payload.JSONataTemplate, vars map[string]any) (any, *failure.Error) {
	clock := sr.th.x.engine.clock
	v, err := t.Apply(vars, jsonata.Options{NowMillis: func() int64 { return clock.Now().UnixMilli() }})
	if err != nil {
		return nil, sr.fail(err)
	}
	return v, nil
}

// jInt evaluates a numeric field given as a literal or an expression.
func (sr *stateRun) jInt(t *payload.JSONataTemplate, literal int64, field string, min int64) (int64, *failure.Error) {
	if t == nil {
		return literal, nil
	}
	v, ferr := sr.jEval(t, sr.bindings())
	if ferr != nil {
		return 0, ferr
	}
	n, ok := nonNegativeInt(v)
	if !ok || n < min {
		b, _ := jsonvalue.Marshal(v)
		return 0, sr.fail(&failure.Error{Name: failure.QueryEvaluationError,
			Cause: "The JSONata expression specified for the field '" + field + "' returned an invalid value: " + string(b) + ". Expected a non-negative integer."})
	}
	return n, nil
}
