package states

import (
	"math"
	"strings"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
	"github.com/shipwave/shipwave/shared/states/payload/jsonata"
)

var mapType = stateType{
	fields:        set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Assign", "ItemsPath", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ItemReader", "ItemBatcher", "ResultWriter", "Label"),
	jsonataFields: set("Next", "End", "Output", "Assign", "Retry", "Catch", "Items", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage", "ItemReader", "ItemBatcher", "ResultWriter", "Label"),
	new:           func() stateKind { return &mapState{} },
}

// mapState is an inline Map state: it runs its item processor on each item
// of its input's array, and its result is the array of their outputs.
type mapState struct {
	retrying
	iterator *graph
	// items are the fields that choose the items and each iteration's
	// input, in the state's query language.
	items            mapItems
	maxConcurrency   limit[int64]
	toleratedCount   limit[int64]
	toleratedPercent limit[float64]
	// iter are the shared MapIteration* event details.
	iter [4]*eventInfo
}

func (k *mapState) parse(p *parser, st *state, o *jsonvalue.Object, loc string, jx exprs) {
	k.parseRetrying(p, o, loc)
	for i, t := range [...]string{iterStarted: "MapIterationStarted", iterFailed: "MapIterationFailed", iterAborted: "MapIterationAborted", iterSucceeded: "MapIterationSucceeded"} {
		k.iter[i] = &eventInfo{typ: t, name: st.name}
	}
	k.maxConcurrency.expr = jx["MaxConcurrency"]
	k.toleratedCount.expr = jx["ToleratedFailureCount"]
	k.toleratedPercent.expr = jx["ToleratedFailurePercentage"]
	c := p.c
	_, hasIP := o.Get("ItemProcessor")
	_, hasIt := o.Get("Iterator")
	var field string
	switch {
	case hasIP && hasIt:
		c.add(CodeSchema, loc, "Only one of 'ItemProcessor' or 'Iterator' may be set")
		return
	case hasIP:
		field = "ItemProcessor"
	case hasIt:
		field = "Iterator"
	default:
		c.add(CodeSchema, loc, "Missing required field 'ItemProcessor'")
		return
	}
	v, _ := o.Get(field)
	po, ok := v.(*jsonvalue.Object)
	if !ok {
		c.add(CodeSchema, loc+"/"+field, "Expected value of type: Object")
		return
	}
	ploc := loc + "/" + field
	for _, k := range po.Keys() {
		switch k {
		case "StartAt", "States", "Comment", "QueryLanguage":
		case "ProcessorConfig":
			// Step Functions accepts it in the legacy Iterator too.
			cv, _ := po.Get(k)
			co, ok := cv.(*jsonvalue.Object)
			if !ok {
				c.add(CodeSchema, ploc+"/ProcessorConfig", "Expected value of type: Object")
				continue
			}
			for _, ck := range co.Keys() {
				switch ck {
				case "Mode":
					m, _ := co.Get(ck)
					if m != "INLINE" && m != "DISTRIBUTED" {
						c.add(CodeSchema, ploc+"/ProcessorConfig/Mode", "Mode must be INLINE or DISTRIBUTED")
					}
				case "ExecutionType":
					m, _ := co.Get(ck)
					if m != "STANDARD" && m != "EXPRESS" {
						c.add(CodeSchema, ploc+"/ProcessorConfig/ExecutionType", "ExecutionType must be STANDARD or EXPRESS")
					}
				default:
					c.add(CodeSchema, pointer(ploc+"/ProcessorConfig", ck), "The field %q is not supported by Step Functions", ck)
				}
			}
		default:
			c.add(CodeSchema, pointer(ploc, k), "The field %q is not supported by Step Functions", k)
		}
	}
	k.iterator = p.graph(po, ploc)
	for _, f := range []string{"ItemReader", "ItemBatcher", "ResultWriter"} {
		if _, ok := o.Get(f); ok {
			c.add(CodeSchema, loc+"/"+f, "Field '%s' (distributed Map) is not supported by this engine", f)
		}
	}
	if f, ok := st.flow.(*pathFlow); ok {
		k.items = p.pathItems(f, o, loc)
	} else {
		k.items = &jsonataItems{items: jx["Items"], selector: jx["ItemSelector"]}
	}
	if n, ok := intField(c, o, loc, "MaxConcurrency", 0, math.MaxInt32); ok {
		k.maxConcurrency.lit, k.maxConcurrency.given = n, true
	}
	k.maxConcurrency.path = p.inputRefPath(o, loc, "MaxConcurrencyPath")
	if n, ok := intField(c, o, loc, "ToleratedFailureCount", 0, math.MaxInt32); ok {
		k.toleratedCount.lit, k.toleratedCount.given = n, true
	}
	k.toleratedCount.path = p.inputRefPath(o, loc, "ToleratedFailureCountPath")
	if v, ok := o.Get("ToleratedFailurePercentage"); ok {
		f, isNum := toFloat(v)
		if !isNum || f < 0 || f > 100 {
			c.add(CodeSchema, loc+"/ToleratedFailurePercentage", "ToleratedFailurePercentage must be a number between 0 and 100")
		} else {
			k.toleratedPercent.lit, k.toleratedPercent.given = f, true
		}
	}
	k.toleratedPercent.path = p.inputRefPath(o, loc, "ToleratedFailurePercentagePath")
	for _, pair := range [][2]string{{"MaxConcurrency", "MaxConcurrencyPath"}, {"ToleratedFailureCount", "ToleratedFailureCountPath"}, {"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"}} {
		_, a := o.Get(pair[0])
		_, b := o.Get(pair[1])
		if a && b {
			c.add(CodeSchema, loc, "There should only be one of the following fields: [%s, %s]", pair[0], pair[1])
		}
	}
	if _, ok := o.Get("Label"); ok {
		stringField(c, o, loc, "Label", false)
	}
}

func (k *mapState) subgraphs(loc string, visit func(*graph, string)) {
	visit(k.iterator, loc+"/ItemProcessor")
}

func (k *mapState) waits() bool {
	return k.retrying.waits() || (k.iterator != nil && !k.iterator.pure)
}

func (k *mapState) run(sr *stateRun) (any, *state, *failure.Error) {
	return sr.withRetry(&k.retrying, k)
}

func (k *mapState) work(sr *stateRun) (any, *failure.Error) {
	st := sr.st
	th := sr.th
	eff, ferr := st.flow.input(sr)
	if ferr != nil {
		return nil, ferr
	}
	items, ferr := k.items.list(sr, eff)
	if ferr != nil {
		return nil, ferr
	}
	env := sr.env(eff)
	maxConc, ferr := sr.mapCount(k.maxConcurrency, "MaxConcurrency", env)
	if ferr != nil {
		return nil, ferr
	}
	tolCount, ferr := sr.mapCount(k.toleratedCount, "ToleratedFailureCount", env)
	if ferr != nil {
		return nil, ferr
	}
	tolPercent, ferr := sr.mapPercent(k.toleratedPercent, env)
	if ferr != nil {
		return nil, ferr
	}
	hasCount, hasPercent := k.toleratedCount.set(), k.toleratedPercent.set()
	tolerant := hasCount || hasPercent
	n := len(items)
	th.record(event{info: infoMapStateStarted, index: n})
	workers := int(maxConc)
	if workers == 0 || workers > maxInlineConcurrency {
		workers = maxInlineConcurrency
	}
	exceeded := false
	stop := func(r *childResults) bool {
		if !tolerant {
			return true
		}
		over := (hasCount && int64(r.failed) > tolCount) ||
			(hasPercent && float64(r.failed)*100/float64(n) > tolPercent)
		if over {
			exceeded = true
		}
		return over
	}
	r := th.runChildren(n, workers, k.iterator.pure, func(i int, child *thread) (any, *failure.Error) {
		child.record(event{info: k.iter[iterStarted], index: i})
		input, ferr := k.items.input(sr, eff, i, items[i])
		if ferr != nil {
			child.record(event{info: k.iter[iterFailed], index: i})
			return nil, ferr
		}
		out, ferr := child.runGraph(k.iterator, input)
		switch {
		case ferr == errAborted:
			child.record(event{info: k.iter[iterAborted], index: i})
		case ferr != nil:
			child.record(event{info: k.iter[iterFailed], index: i})
		default:
			child.record(event{info: k.iter[iterSucceeded], index: i})
		}
		return out, ferr
	}, stop)
	if th.context().Err() != nil {
		return nil, errAborted
	}
	if r.firstErr != nil {
		th.record(event{info: infoMapStateFailed})
		if exceeded {
			return nil, &failure.Error{Name: failure.ExceedToleratedFailureThreshold, Cause: "The specified tolerated failure threshold was exceeded"}
		}
		return nil, r.firstErr
	}
	out := r.out
	if r.failed > 0 {
		// A tolerated failure contributes no result.
		out = make([]any, 0, n-r.failed)
		for i, e := range r.errs {
			if e == nil {
				out = append(out, r.out[i])
			}
		}
	}
	th.record(event{info: infoMapStateSucceeded})
	return st.flow.finish(sr, produced{value: out, from: fromResult})
}

// mapItems are the fields of a Map state that choose its items and each
// iteration's input: ItemsPath and ItemSelector (or the legacy
// Parameters) in JSONPath, Items and ItemSelector in JSONata.
type mapItems interface {
	// list returns the items from the state's effective input.
	list(sr *stateRun, eff any) ([]any, *failure.Error)
	// input returns the input of iteration i, over item.
	input(sr *stateRun, eff any, i int, item any) (any, *failure.Error)
}

// pathItems are a JSONPath Map state's ItemsPath and ItemSelector.
type pathItems struct {
	path     optPath
	selector *payload.Template
}

// pathItems parses ItemsPath and ItemSelector; a Map state's Parameters
// in flow (the legacy ItemSelector) moves here.
func (p *parser) pathItems(flow *pathFlow, o *jsonvalue.Object, loc string) *pathItems {
	c := p.c
	k := &pathItems{path: p.optPath(o, loc, "ItemsPath", true)}
	if k.path.isNull {
		c.add(CodeInvalidJSONPath, loc+"/ItemsPath", "The value for the field 'ItemsPath' must be a valid JSONPath")
	}
	sel := p.template(o, loc, "ItemSelector")
	if sel != nil && flow.parameters != nil {
		c.add(CodeSchema, loc, "Only one of 'ItemSelector' or 'Parameters' may be set")
	}
	if sel != nil {
		k.selector = sel
	} else {
		k.selector, flow.parameters = flow.parameters, nil
	}
	return k
}

func (k *pathItems) list(sr *stateRun, eff any) ([]any, *failure.Error) {
	v, ferr := sr.selectPath(k.path, eff)
	if ferr != nil {
		return nil, ferr
	}
	return mapArray(sr, v, failure.Runtime)
}

func (k *pathItems) input(sr *stateRun, eff any, i int, item any) (any, *failure.Error) {
	if k.selector == nil {
		return item, nil
	}
	return sr.applyTemplate(k.selector, eff, &mapItem{index: i, value: item})
}

// jsonataItems are a JSONata Map state's Items and ItemSelector.
type jsonataItems struct {
	items, selector *payload.JSONataTemplate
}

func (k *jsonataItems) list(sr *stateRun, eff any) ([]any, *failure.Error) {
	if k.items == nil {
		return mapArray(sr, eff, failure.QueryEvaluationError)
	}
	clock := sr.th.x.engine.clock
	v, err := k.items.ApplyItems(sr.bindings(), jsonata.Options{NowMillis: func() int64 { return clock.Now().UnixMilli() }})
	if err != nil {
		return nil, sr.fail(err)
	}
	return v, nil
}

func (k *jsonataItems) input(sr *stateRun, _ any, i int, item any) (any, *failure.Error) {
	if k.selector == nil {
		return item, nil
	}
	return sr.jEval(k.selector, sr.jVars(sr.raw, nil, nil, &mapItem{index: i, value: item}))
}

// mapArray is v as the items of a Map state, or the failure named name
// when it is not an array.
func mapArray(sr *stateRun, v any, name string) ([]any, *failure.Error) {
	items, ok := v.([]any)
	if !ok {
		b, _ := jsonvalue.Marshal(v)
		return nil, sr.fail(&failure.Error{Name: name, Cause: "Map state input must be an array but was: " + string(b)})
	}
	return items, nil
}

// mapCount evaluates MaxConcurrency or ToleratedFailureCount (field) for
// one run: a literal, an expression, or the field's …Path into the input.
func (sr *stateRun) mapCount(l limit[int64], field string, env *evalEnv) (int64, *failure.Error) {
	switch {
	case l.path != nil:
		v, err := env.Lookup(l.path)
		n, ok := nonNegativeInt(numberText(v))
		if err != nil || !ok {
			return 0, sr.fail(runtimeError("The " + field + "Path field refers to value that is not a valid integer: " + l.path.String()))
		}
		return n, nil
	case l.expr != nil:
		return sr.jInt(l.expr, 0, field, 0)
	}
	return l.lit, nil
}

// mapPercent evaluates ToleratedFailurePercentage for one run.
func (sr *stateRun) mapPercent(l limit[float64], env *evalEnv) (float64, *failure.Error) {
	switch {
	case l.path != nil:
		v, err := env.Lookup(l.path)
		f, ok := toFloat(numberText(v))
		if err != nil || !ok || f < 0 || f > 100 {
			return 0, sr.fail(runtimeError("The ToleratedFailurePercentagePath field refers to value that is not a valid number between 0 and 100: " + l.path.String()))
		}
		return f, nil
	case l.expr != nil:
		v, ferr := sr.jEval(l.expr, sr.bindings())
		if ferr != nil {
			return 0, ferr
		}
		f, ok := toFloat(v)
		if !ok || f < 0 || f > 100 {
			return 0, sr.fail(&failure.Error{Name: failure.QueryEvaluationError,
				Cause: "The JSONata expression specified for the field 'ToleratedFailurePercentage' returned an invalid value. Expected a number between 0 and 100."})
		}
		return f, nil
	}
	return l.lit, nil
}

// numberText reads a string that holds a number as that number, as Step
// Functions does for the values of MaxConcurrencyPath and the
// ToleratedFailure…Path fields (recorded on AWS: a variable assigned "1"
// works as MaxConcurrencyPath). Other values are returned as they are.
func numberText(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	n, err := jsonvalue.Decode([]byte(strings.TrimSpace(s)))
	if num, isNum := n.(jsonvalue.Number); err == nil && isNum {
		return num
	}
	return v
}
