package states

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync/atomic"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// State types.
const (
	typePass     = "Pass"
	typeTask     = "Task"
	typeChoice   = "Choice"
	typeWait     = "Wait"
	typeSucceed  = "Succeed"
	typeFail     = "Fail"
	typeParallel = "Parallel"
	typeMap      = "Map"
)

// StateMachine is a parsed and validated definition. It is immutable and
// safe to run many times concurrently.
type StateMachine struct {
	// Comment is the definition's top-level comment.
	Comment        string
	timeoutSeconds int64
	root           *graph
	definition     []byte
	// histHint is the number of events the last execution recorded; new
	// executions size their event log from it.
	histHint atomic.Int64
}

// Definition returns the definition text the machine was parsed from.
func (sm *StateMachine) Definition() []byte { return sm.definition }

// graph is a set of states with a start: the machine itself, a Parallel
// branch or a Map's item processor.
type graph struct {
	startAt string
	start   *state
	states  map[string]*state
	order   []string
	// pure reports that no state in the graph ever waits (no Task, Wait or
	// nested concurrency that waits), so it can run inline without a
	// goroutine.
	pure bool
}

// optPath is an InputPath/OutputPath/ItemsPath: absent means "$", null
// means "no value" (an empty object).
type optPath struct {
	path   *jsonpath.Path // nil with isNull false means "$"
	isNull bool
}

type state struct {
	name     string
	typ      string
	nextName string
	next     *state
	end      bool

	inputPath      optPath
	outputPath     optPath
	resultPath     optPath
	parameters     *payload.Template
	resultSelector *payload.Template
	assign         *payload.Template
	assignVars     []string

	retry []*retrier
	catch []*catcher

	// Task.
	resource         string
	pattern          Pattern
	timeoutSeconds   int64
	heartbeatSeconds int64
	timeoutPath      *jsonpath.Path
	heartbeatPath    *jsonpath.Path
	credentials      *payload.Template

	// Parallel.
	branches []*graph

	// Map.
	iterator              *graph
	itemsPath             optPath
	itemSelector          *payload.Template
	maxConcurrency        int64
	maxConcurrencyPath    *jsonpath.Path
	toleratedCount        int64
	toleratedCountPath    *jsonpath.Path
	toleratedPercent      float64
	toleratedPercentPath  *jsonpath.Path
	hasToleratedThreshold bool
	hasTolCount           bool
	hasTolPercent         bool

	// entered and exited are the shared history details of this state's
	// StateEntered/StateExited events.
	entered, exited *eventInfo
	// iter are a Map state's shared MapIteration* event details.
	iter [4]*eventInfo

	// QueryLanguage JSONata.
	jsonata       bool
	jArgs         *payload.JSONataTemplate
	jOutput       *payload.JSONataTemplate
	jAssign       *payload.JSONataTemplate
	jItems        *payload.JSONataTemplate
	jItemSelector *payload.JSONataTemplate
	jTimeout      *payload.JSONataTemplate
	jHeartbeat    *payload.JSONataTemplate
	jMaxConc      *payload.JSONataTemplate
	jTolCount     *payload.JSONataTemplate
	jTolPercent   *payload.JSONataTemplate

	// kind is the state's type: its own fields and behaviour.
	kind stateKind
}

// stateKind is one state type: the fields only it has, how they are parsed
// and how the state runs. Each type lives in its own file (pass.go,
// wait.go, terminal.go, ...); state holds what the types share.
type stateKind interface {
	// parse reads the type's own fields of o once the shared ones are
	// read; jx holds the JSONata expressions of a JSONata state's fields
	// that take a literal or an expression.
	parse(p *parser, st *state, o *jsonvalue.Object, loc string, jx exprs)
	// run performs one entry into sr.st and returns its output and the
	// next state (nil when the graph ends).
	run(sr *stateRun) (out any, next *state, ferr *failure.Error)
	// resolve resolves the type's own transitions (besides Next) in g;
	// successors visits them.
	resolve(p *parser, g *graph, loc string)
	successors(visit func(*state))
	// subgraphs visits the type's nested graphs with their locations
	// under loc.
	subgraphs(loc string, visit func(g *graph, loc string))
	// assignNames are the variables the type's own fields assign (besides
	// the state's Assign).
	assignNames() []string
	// waits reports that running the state may wait (a Task, a Wait, a
	// retry or a nested graph that waits).
	waits() bool
}

// exprs are the JSONata expressions of a state's fields that take a
// literal or a whole "{% %}" expression, by field name.
type exprs map[string]*payload.JSONataTemplate

// leafKind gives a state type with no transitions but Next, no nested
// graphs and nothing that waits its stateKind hooks.
type leafKind struct{}

func (leafKind) resolve(*parser, *graph, string)        {}
func (leafKind) successors(func(*state))                {}
func (leafKind) subgraphs(string, func(*graph, string)) {}
func (leafKind) assignNames() []string                  { return nil }
func (leafKind) waits() bool                            { return false }

// stateKinds makes the stateKind of each state type.
var stateKinds = map[string]func() stateKind{
	typePass:    func() stateKind { return &passState{} },
	typeSucceed: func() stateKind { return &succeedState{} },
	typeFail:    func() stateKind { return &failState{} },
	typeWait:    func() stateKind { return &waitState{} },
	typeChoice:  func() stateKind { return &choiceState{} },
}

type retrier struct {
	errorEquals     []string
	intervalSeconds int64
	maxAttempts     int64
	backoffRate     float64
	maxDelaySeconds int64
	jitterFull      bool
}

type catcher struct {
	errorEquals []string
	nextName    string
	next        *state
	resultPath  optPath
	assign      *payload.Template
	assignVars  []string
	jAssign     *payload.JSONataTemplate
	jOutput     *payload.JSONataTemplate
}

// Pattern is a service integration pattern of a Task resource.
type Pattern string

// Service integration patterns.
const (
	RequestResponse  Pattern = "RequestResponse"
	Sync             Pattern = "Sync"
	Sync2            Pattern = "Sync2"
	WaitForTaskToken Pattern = "WaitForTaskToken"
)

var jsonataFields = map[string]bool{"Output": true, "Arguments": true, "Items": true}

var commonFields = map[string]bool{"Type": true, "Comment": true, "QueryLanguage": true}

var stateFields = map[string]map[string]bool{
	typePass:     set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result", "Assign"),
	typeTask:     set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign"),
	typeChoice:   set("Choices", "Default", "InputPath", "OutputPath", "Assign"),
	typeWait:     set("Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"),
	typeSucceed:  set("InputPath", "OutputPath"),
	typeFail:     set("Error", "ErrorPath", "Cause", "CausePath"),
	typeParallel: set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Branches", "Assign"),
	typeMap:      set("Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Assign", "ItemsPath", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ItemReader", "ItemBatcher", "ResultWriter", "Label"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Parse decodes and validates a definition. An invalid definition returns a
// *ValidationError listing every problem with its location.
func Parse(def []byte) (*StateMachine, error) {
	v, err := jsonvalue.Decode(def)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Code: CodeInvalidJSON, Message: "Invalid JSON: " + err.Error()}}}
	}
	top, ok := v.(*jsonvalue.Object)
	if !ok {
		return nil, &ValidationError{Problems: []Problem{{Code: CodeSchema, Message: "Expected value of type: Object", Location: "/"}}}
	}
	c := &checker{}
	sm := &StateMachine{definition: append([]byte(nil), def...)}
	for _, k := range top.Keys() {
		switch k {
		case "StartAt", "States", "Comment", "TimeoutSeconds", "Version", "QueryLanguage":
		default:
			c.add(CodeSchema, pointer("", k), "The field %q is not supported by Step Functions", k)
		}
	}
	if s, ok := stringField(c, top, "", "Comment", false); ok {
		sm.Comment = s
	}
	if _, ok := stringField(c, top, "", "Version", false); ok {
		if vs, _ := top.Get("Version"); vs != "1.0" {
			c.add(CodeSchema, "/Version", "Unsupported Version %q, want \"1.0\"", vs)
		}
	}
	topJSONata := false
	if ql, ok := stringField(c, top, "", "QueryLanguage", false); ok && ql != "JSONPath" {
		if ql == "JSONata" {
			topJSONata = true
		} else {
			c.add(CodeSchema, "/QueryLanguage", "Invalid QueryLanguage %q, want JSONPath or JSONata", ql)
		}
	}
	if n, ok := intField(c, top, "", "TimeoutSeconds", 0, math.MaxInt32); ok {
		sm.timeoutSeconds = n
	}
	p := &parser{c: c, topJSONata: topJSONata}
	sm.root = p.graph(top, "")
	if sm.root != nil {
		p.declaredVars(sm.root, nil, "")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return sm, nil
}

type parser struct {
	c          *checker
	topJSONata bool // the machine's QueryLanguage is JSONata
	jsonata    bool // the state being parsed uses JSONata
}

func (p *parser) graph(obj *jsonvalue.Object, loc string) *graph {
	saved := p.jsonata
	defer func() { p.jsonata = saved }()
	c := p.c
	g := &graph{states: map[string]*state{}, pure: true}
	startAt, _ := stringField(c, obj, loc, "StartAt", true)
	g.startAt = startAt
	sv, ok := obj.Get("States")
	if !ok {
		c.add(CodeSchema, loc, "Missing required field 'States'")
		return nil
	}
	so, ok := sv.(*jsonvalue.Object)
	if !ok {
		c.add(CodeSchema, loc+"/States", "Expected value of type: Object")
		return nil
	}
	if so.Len() == 0 {
		c.add(CodeSchema, loc+"/States", "The field 'States' must contain at least one state")
	}
	for _, name := range so.Keys() {
		sloc := pointer(loc+"/States", name)
		if len(name) > 80 || name == "" {
			c.add(CodeSchema, sloc, "State name %q must be 1 to 80 characters long", name)
		}
		raw, _ := so.Get(name)
		o, ok := raw.(*jsonvalue.Object)
		if !ok {
			c.add(CodeSchema, sloc, "Expected value of type: Object")
			continue
		}
		st := p.state(name, o, sloc)
		if st == nil {
			continue
		}
		g.states[name] = st
		g.order = append(g.order, name)
		if st.kind != nil && st.kind.waits() {
			g.pure = false
		}
		switch st.typ {
		case typeTask:
			g.pure = false
		case typeParallel:
			for _, b := range st.branches {
				if b != nil && !b.pure {
					g.pure = false
				}
			}
		case typeMap:
			if st.iterator != nil && !st.iterator.pure {
				g.pure = false
			}
		}
		if len(st.retry) > 0 {
			g.pure = false
		}
	}
	if _, ok := obj.Get("StartAt"); ok {
		if g.start = g.states[startAt]; g.start == nil && so.Len() > 0 {
			c.add(CodeMissingTarget, loc+"/StartAt", "Missing 'Next' target: %s", startAt)
		}
	}
	// Resolve transitions.
	terminal := false
	for _, name := range g.order {
		st := g.states[name]
		sloc := pointer(loc+"/States", name)
		resolve := func(target, at string) *state {
			t := g.states[target]
			if t == nil {
				c.add(CodeMissingTarget, at, "Missing 'Next' target: %s", target)
			}
			return t
		}
		if st.nextName != "" {
			st.next = resolve(st.nextName, sloc+"/Next")
		}
		if st.end || st.typ == typeSucceed || st.typ == typeFail {
			terminal = true
		}
		if st.kind != nil {
			st.kind.resolve(p, g, sloc)
		}
		for i, ct := range st.catch {
			if ct.nextName != "" {
				ct.next = resolve(ct.nextName, fmt.Sprintf("%s/Catch/%d/Next", sloc, i))
			}
		}
	}
	if !terminal && len(g.order) > 0 {
		at := loc
		if at == "" {
			at = "null"
		}
		c.add(CodeNoTerminalState, at, "Workflow has no terminal state")
	}
	// Reachability.
	if g.start != nil {
		seen := map[*state]bool{}
		var walk func(s *state)
		walk = func(s *state) {
			if s == nil || seen[s] {
				return
			}
			seen[s] = true
			walk(s.next)
			if s.kind != nil {
				s.kind.successors(walk)
			}
			for _, ct := range s.catch {
				walk(ct.next)
			}
		}
		walk(g.start)
		for _, name := range g.order {
			if !seen[g.states[name]] {
				c.add(CodeUnreachable, pointer(loc+"/States", name), "State %q is not reachable.", name)
			}
		}
	}
	return g
}

func (p *parser) state(name string, o *jsonvalue.Object, loc string) *state {
	c := p.c
	typ, ok := stringField(c, o, loc, "Type", true)
	if !ok {
		return nil
	}
	allowed, known := stateFields[typ]
	if !known {
		c.add(CodeSchema, loc+"/Type", "%q is not a valid state type", typ)
		return nil
	}
	p.jsonata = p.topJSONata
	if ql, ok := stringField(c, o, loc, "QueryLanguage", false); ok {
		switch {
		case ql == "JSONata":
			p.jsonata = true
		case ql == "JSONPath" && p.topJSONata:
			c.add(CodeSchema, loc, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
		case ql != "JSONPath":
			c.add(CodeSchema, loc+"/QueryLanguage", "Invalid QueryLanguage %q, want JSONPath or JSONata", ql)
		}
	}
	st := &state{name: name, typ: typ}
	if mk := stateKinds[typ]; mk != nil {
		st.kind = mk()
	}
	st.entered = &eventInfo{typ: typ + "StateEntered", name: name}
	st.exited = &eventInfo{typ: typ + "StateExited", name: name}
	if typ == "Map" {
		for i, t := range [...]string{iterStarted: "MapIterationStarted", iterFailed: "MapIterationFailed", iterAborted: "MapIterationAborted", iterSucceeded: "MapIterationSucceeded"} {
			st.iter[i] = &eventInfo{typ: t, name: name}
		}
	}
	var jx exprs
	if p.jsonata {
		st.jsonata = true
		allowed = jsonataStateFields[typ]
		o, jx = p.jsonataFields(st, o, loc)
	}
	for _, k := range o.Keys() {
		switch {
		case allowed[k] || commonFields[k]:
		case !p.jsonata && jsonataFields[k]:
			c.add(CodeSchema, loc, "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage", k)
		case p.jsonata && stateFields[typ][k]:
			c.add(CodeSchema, loc, "The QueryLanguage is set to 'JSONata', but field '%s' is only supported for the 'JSONPath' QueryLanguage", k)
		default:
			c.add(CodeSchema, loc, "Field '%s' is not supported", k)
		}
	}
	stringField(c, o, loc, "Comment", false)

	// Transitions.
	switch typ {
	case typePass, typeTask, typeWait, typeParallel, typeMap:
		next, hasNext := stringField(c, o, loc, "Next", false)
		end, hasEnd := boolField(c, o, loc, "End")
		switch {
		case hasNext && hasEnd && end:
			c.add(CodeSchema, loc, "Only one of 'Next' or 'End' may be set")
		case hasNext:
			st.nextName = next
		case hasEnd && end:
			st.end = true
		default:
			c.add(CodeSchema, loc, "Missing required field 'Next' or 'End'")
		}
	}

	// Data flow.
	if allowed["InputPath"] {
		st.inputPath = p.optPath(o, loc, "InputPath", false)
		st.outputPath = p.optPath(o, loc, "OutputPath", false)
	}
	if allowed["ResultPath"] {
		st.resultPath = p.optPath(o, loc, "ResultPath", true)
	}
	if allowed["Parameters"] {
		st.parameters = p.template(o, loc, "Parameters")
	}
	if allowed["ResultSelector"] {
		st.resultSelector = p.template(o, loc, "ResultSelector")
	}
	if allowed["Assign"] && !p.jsonata {
		st.assign = p.template(o, loc, "Assign")
		if st.assign != nil {
			st.assignVars = p.checkAssignNames(o, loc)
		}
	}
	if allowed["Retry"] {
		st.retry = p.retriers(o, loc)
	}
	if allowed["Catch"] {
		st.catch = p.catchers(o, loc)
	}

	if st.kind != nil {
		st.kind.parse(p, st, o, loc, jx)
		return st
	}
	switch typ {
	case typeTask:
		st.jTimeout, st.jHeartbeat = jx["TimeoutSeconds"], jx["HeartbeatSeconds"]
		p.task(st, o, loc)
	case typeParallel:
		p.parallel(st, o, loc)
	case typeMap:
		st.jMaxConc, st.jTolCount, st.jTolPercent = jx["MaxConcurrency"], jx["ToleratedFailureCount"], jx["ToleratedFailurePercentage"]
		p.mapState(st, o, loc)
	}
	return st
}

func (p *parser) task(st *state, o *jsonvalue.Object, loc string) {
	c := p.c
	res, ok := stringField(c, o, loc, "Resource", true)
	if ok {
		st.resource = res
		st.pattern = RequestResponse
		switch {
		case strings.HasSuffix(res, ".waitForTaskToken"):
			st.pattern = WaitForTaskToken
		case strings.HasSuffix(res, ".sync:2"):
			st.pattern = Sync2
		case strings.HasSuffix(res, ".sync"):
			st.pattern = Sync
		}
		if !strings.HasPrefix(res, "arn:") {
			c.add(CodeSchema, loc+"/Resource", "Value is not a valid resource ARN")
		}
	}
	const maxSeconds = 99999999
	_, hasT := o.Get("TimeoutSeconds")
	_, hasTP := o.Get("TimeoutSecondsPath")
	if hasT && hasTP {
		c.add(CodeSchema, loc, "Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' may be set")
	}
	_, hasH := o.Get("HeartbeatSeconds")
	_, hasHP := o.Get("HeartbeatSecondsPath")
	if hasH && hasHP {
		c.add(CodeSchema, loc, "Only one of 'HeartbeatSeconds' or 'HeartbeatSecondsPath' may be set")
	}
	if n, ok := intField(c, o, loc, "TimeoutSeconds", 1, maxSeconds); ok {
		st.timeoutSeconds = n
	}
	if n, ok := intField(c, o, loc, "HeartbeatSeconds", 1, maxSeconds); ok {
		st.heartbeatSeconds = n
	}
	if st.timeoutSeconds > 0 && st.heartbeatSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		c.add(CodeSchema, loc+"/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
	st.timeoutPath = p.refPath(o, loc, "TimeoutSecondsPath")
	st.heartbeatPath = p.refPath(o, loc, "HeartbeatSecondsPath")
	st.credentials = p.template(o, loc, "Credentials")
}

func (p *parser) parallel(st *state, o *jsonvalue.Object, loc string) {
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
		st.branches = append(st.branches, p.graph(bo, bloc))
	}
}

func (p *parser) mapState(st *state, o *jsonvalue.Object, loc string) {
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
	st.iterator = p.graph(po, ploc)
	for _, f := range []string{"ItemReader", "ItemBatcher", "ResultWriter"} {
		if _, ok := o.Get(f); ok {
			c.add(CodeSchema, loc+"/"+f, "Field '%s' (distributed Map) is not supported by this engine", f)
		}
	}
	st.itemsPath = p.optPath(o, loc, "ItemsPath", true)
	if st.itemsPath.isNull {
		c.add(CodeInvalidJSONPath, loc+"/ItemsPath", "The value for the field 'ItemsPath' must be a valid JSONPath")
	}
	sel := p.template(o, loc, "ItemSelector")
	if sel != nil && st.parameters != nil {
		c.add(CodeSchema, loc, "Only one of 'ItemSelector' or 'Parameters' may be set")
	}
	if sel != nil {
		st.itemSelector = sel
	} else {
		st.itemSelector, st.parameters = st.parameters, nil
	}
	if n, ok := intField(c, o, loc, "MaxConcurrency", 0, math.MaxInt32); ok {
		st.maxConcurrency = n
	}
	st.maxConcurrencyPath = p.inputRefPath(o, loc, "MaxConcurrencyPath")
	if n, ok := intField(c, o, loc, "ToleratedFailureCount", 0, math.MaxInt32); ok {
		st.toleratedCount, st.hasToleratedThreshold, st.hasTolCount = n, true, true
	}
	st.toleratedCountPath = p.inputRefPath(o, loc, "ToleratedFailureCountPath")
	if v, ok := o.Get("ToleratedFailurePercentage"); ok {
		f, isNum := toFloat(v)
		if !isNum || f < 0 || f > 100 {
			c.add(CodeSchema, loc+"/ToleratedFailurePercentage", "ToleratedFailurePercentage must be a number between 0 and 100")
		} else {
			st.toleratedPercent, st.hasToleratedThreshold, st.hasTolPercent = f, true, true
		}
	}
	st.toleratedPercentPath = p.inputRefPath(o, loc, "ToleratedFailurePercentagePath")
	for _, pair := range [][2]string{{"MaxConcurrency", "MaxConcurrencyPath"}, {"ToleratedFailureCount", "ToleratedFailureCountPath"}, {"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"}} {
		_, a := o.Get(pair[0])
		_, b := o.Get(pair[1])
		if a && b {
			c.add(CodeSchema, loc, "There should only be one of the following fields: [%s, %s]", pair[0], pair[1])
		}
	}
	if st.toleratedCountPath != nil || st.toleratedPercentPath != nil {
		st.hasToleratedThreshold = true
	}
	if _, ok := o.Get("Label"); ok {
		stringField(c, o, loc, "Label", false)
	}
}

func (p *parser) retriers(o *jsonvalue.Object, loc string) []*retrier {
	c := p.c
	v, ok := o.Get("Retry")
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		c.add(CodeSchema, loc+"/Retry", "Expected value of type: Array")
		return nil
	}
	var out []*retrier
	for i, e := range arr {
		rloc := fmt.Sprintf("%s/Retry/%d", loc, i)
		ro, ok := e.(*jsonvalue.Object)
		if !ok {
			c.add(CodeSchema, rloc, "Expected value of type: Object")
			continue
		}
		for _, k := range ro.Keys() {
			switch k {
			case "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment":
			default:
				c.add(CodeSchema, pointer(rloc, k), "The field %q is not supported by Step Functions", k)
			}
		}
		r := &retrier{intervalSeconds: 1, maxAttempts: 3, backoffRate: 2}
		r.errorEquals = p.errorEquals(ro, rloc, i == len(arr)-1)
		if n, ok := intField(c, ro, rloc, "IntervalSeconds", 1, 99999999); ok {
			r.intervalSeconds = n
		}
		if n, ok := intField(c, ro, rloc, "MaxAttempts", 0, 99999999); ok {
			r.maxAttempts = n
		}
		if n, ok := intField(c, ro, rloc, "MaxDelaySeconds", 1, 31622400); ok {
			r.maxDelaySeconds = n
		}
		if bv, ok := ro.Get("BackoffRate"); ok {
			f, isNum := toFloat(bv)
			if !isNum || f < 1 {
				c.add(CodeSchema, rloc+"/BackoffRate", "BackoffRate must be a number greater than or equal to 1.0")
			} else {
				r.backoffRate = f
			}
		}
		if s, ok := stringField(c, ro, rloc, "JitterStrategy", false); ok {
			switch s {
			case "FULL":
				r.jitterFull = true
			case "NONE":
			default:
				c.add(CodeSchema, rloc+"/JitterStrategy", "JitterStrategy must be FULL or NONE")
			}
		}
		stringField(c, ro, rloc, "Comment", false)
		out = append(out, r)
	}
	return out
}

func (p *parser) catchers(o *jsonvalue.Object, loc string) []*catcher {
	c := p.c
	v, ok := o.Get("Catch")
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		c.add(CodeSchema, loc+"/Catch", "Expected value of type: Array")
		return nil
	}
	var out []*catcher
	for i, e := range arr {
		cloc := fmt.Sprintf("%s/Catch/%d", loc, i)
		co, ok := e.(*jsonvalue.Object)
		if !ok {
			c.add(CodeSchema, cloc, "Expected value of type: Object")
			continue
		}
		for _, k := range co.Keys() {
			switch k {
			case "ErrorEquals", "Next", "Comment", "Assign":
			case "ResultPath":
				if p.jsonata {
					c.add(CodeSchema, cloc, "The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for the 'JSONPath' QueryLanguage")
				}
			case "Output":
				if !p.jsonata {
					c.add(CodeSchema, cloc, "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage")
				}
			default:
				c.add(CodeSchema, pointer(cloc, k), "The field %q is not supported by Step Functions", k)
			}
		}
		ct := &catcher{}
		ct.errorEquals = p.errorEquals(co, cloc, i == len(arr)-1)
		ct.nextName, _ = stringField(c, co, cloc, "Next", true)
		if !p.jsonata {
			ct.resultPath = p.optPath(co, cloc, "ResultPath", true)
		}
		if p.jsonata {
			ct.jAssign = p.jsonataField(co, cloc, "Assign")
			ct.jOutput = p.jsonataField(co, cloc, "Output")
			if ct.jAssign != nil {
				ct.assignVars = p.checkAssignNames(co, cloc)
			}
		} else {
			ct.assign = p.template(co, cloc, "Assign")
			if ct.assign != nil {
				ct.assignVars = p.checkAssignNames(co, cloc)
			}
		}
		stringField(c, co, cloc, "Comment", false)
		out = append(out, ct)
	}
	return out
}

func (p *parser) errorEquals(o *jsonvalue.Object, loc string, last bool) []string {
	c := p.c
	v, ok := o.Get("ErrorEquals")
	if !ok {
		c.add(CodeSchema, loc, "Missing required field 'ErrorEquals'")
		return nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		c.add(CodeSchema, loc+"/ErrorEquals", "The field 'ErrorEquals' must be a non-empty array of strings")
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			c.add(CodeSchema, fmt.Sprintf("%s/ErrorEquals/%d", loc, i), "Expected value of type: String")
			continue
		}
		if s == "States.ALL" {
			if len(arr) != 1 {
				c.add(CodeSchema, loc+"/ErrorEquals", "States.ALL must appear alone in 'ErrorEquals'")
			} else if !last {
				c.add(CodeSchema, loc+"/ErrorEquals", "A Retrier or Catcher with States.ALL must be the last one")
			}
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) optPath(o *jsonvalue.Object, loc, field string, reference bool) optPath {
	v, ok := o.Get(field)
	if !ok {
		return optPath{}
	}
	if v == nil {
		return optPath{isNull: true}
	}
	s, ok := v.(string)
	if !ok {
		p.c.add(CodeSchema, loc+"/"+field, "Expected value of type: String")
		return optPath{}
	}
	path, err := jsonpath.Parse(s)
	if err != nil {
		p.c.add(CodeInvalidJSONPath, loc+"/"+field, "The value for the field '%s' must be a valid JSONPath", field)
		return optPath{}
	}
	if reference && !path.IsReference() {
		p.c.add(CodeInvalidJSONPath, loc+"/"+field, "The value for the field '%s' must be a valid ReferencePath", field)
		return optPath{}
	}
	if field == "ResultPath" && path.Root() != "$" {
		p.c.add(CodeInvalidJSONPath, loc+"/"+field, "The value for the field '%s' must be a valid ReferencePath", field)
		return optPath{}
	}
	if path.String() == "$" && path.Root() == "$" {
		return optPath{}
	}
	return optPath{path: path}
}

func (p *parser) refPath(o *jsonvalue.Object, loc, field string) *jsonpath.Path {
	v, ok := o.Get(field)
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		p.c.add(CodeSchema, loc+"/"+field, "Expected value of type: String")
		return nil
	}
	path, err := jsonpath.Parse(s)
	if err != nil || !path.IsReference() {
		p.c.add(CodeInvalidJSONPath, loc+"/"+field, "The value for the field '%s' must be a valid ReferencePath", field)
		return nil
	}
	return path
}

// inputRefPath is a reference path into the state input: the Map number
// fields do not accept the context object.
func (p *parser) inputRefPath(o *jsonvalue.Object, loc, field string) *jsonpath.Path {
	path := p.refPath(o, loc, field)
	if path != nil && path.Root() == "$$" {
		p.c.add(CodeSchema, loc+"/"+field, "Value is not a Reference Path")
		return nil
	}
	return path
}

func (p *parser) template(o *jsonvalue.Object, loc, field string) *payload.Template {
	v, ok := o.Get(field)
	if !ok {
		return nil
	}
	if field == "Assign" || field == "Credentials" {
		if _, isObj := v.(*jsonvalue.Object); !isObj {
			p.c.add(CodeSchema, loc+"/"+field, "Expected value of type: Object")
			return nil
		}
	}
	t, err := payload.Compile(v)
	if err != nil {
		if ce, ok := err.(*payload.CompileError); ok {
			p.c.add(CodeSchema, loc+"/"+field+ce.Field, "%s", ce.Msg)
		} else {
			p.c.add(CodeSchema, loc+"/"+field, "%s", err.Error())
		}
		return nil
	}
	return t
}

func (p *parser) checkAssignNames(o *jsonvalue.Object, loc string) []string {
	v, _ := o.Get("Assign")
	ao, _ := v.(*jsonvalue.Object)
	if ao == nil {
		return nil
	}
	var names []string
	for _, k := range ao.Keys() {
		name := strings.TrimSuffix(k, ".$")
		if !validVarName(name) {
			p.c.add(CodeSchema, pointer(loc+"/Assign", k), "Invalid variable name %q", name)
		}
		names = append(names, name)
	}
	return names
}

func validVarName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case r >= '0' && r <= '9' && i > 0:
		case r > 127:
		default:
			return false
		}
	}
	return true
}

// declaredVars checks that no nested scope assigns a variable of an outer
// scope, as Step Functions rejects.
func (p *parser) declaredVars(g *graph, outer map[string]bool, loc string) {
	mine := map[string]bool{}
	for _, name := range g.order {
		st := g.states[name]
		for _, k := range assignNames(st) {
			if outer[k] {
				p.c.add(CodeSchema, pointer(loc+"/States", name)+"/Assign", "Variable '%s' is already declared in an outer scope", k)
			}
			mine[k] = true
		}
	}
	inner := map[string]bool{}
	for k := range outer {
		inner[k] = true
	}
	for k := range mine {
		inner[k] = true
	}
	for _, name := range g.order {
		st := g.states[name]
		sloc := pointer(loc+"/States", name)
		if st.kind != nil {
			st.kind.subgraphs(sloc, func(g *graph, loc string) {
				if g != nil {
					p.declaredVars(g, inner, loc)
				}
			})
		}
		for i, b := range st.branches {
			if b != nil {
				p.declaredVars(b, inner, fmt.Sprintf("%s/Branches/%d", sloc, i))
			}
		}
		if st.iterator != nil {
			p.declaredVars(st.iterator, inner, sloc+"/ItemProcessor")
		}
	}
}

func assignNames(st *state) []string {
	out := append([]string(nil), st.assignVars...)
	if st.kind != nil {
		out = append(out, st.kind.assignNames()...)
	}
	for _, ct := range st.catch {
		out = append(out, ct.assignVars...)
	}
	return out
}

func stringField(c *checker, o *jsonvalue.Object, loc, field string, required bool) (string, bool) {
	v, ok := o.Get(field)
	if !ok {
		if required {
			c.add(CodeSchema, loc, "Missing required field '%s'", field)
		}
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		c.add(CodeSchema, pointer(loc, field), "Expected value of type: String")
		return "", false
	}
	return s, true
}

func boolField(c *checker, o *jsonvalue.Object, loc, field string) (bool, bool) {
	v, ok := o.Get(field)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		c.add(CodeSchema, pointer(loc, field), "Expected value of type: Boolean")
		return false, false
	}
	return b, true
}

func intField(c *checker, o *jsonvalue.Object, loc, field string, lo, hi int64) (int64, bool) {
	v, ok := o.Get(field)
	if !ok {
		return 0, false
	}
	n, ok := v.(json.Number)
	if !ok {
		c.add(CodeSchema, pointer(loc, field), "Expected value of type: Integer")
		return 0, false
	}
	i, err := n.Int64()
	if err != nil {
		c.add(CodeSchema, pointer(loc, field), "Expected value of type: Integer")
		return 0, false
	}
	if i < lo || i > hi {
		c.add(CodeSchema, pointer(loc, field), "The value of '%s' must be between %d and %d", field, lo, hi)
		return 0, false
	}
	return i, true
}

func toFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}
