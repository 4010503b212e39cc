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

// state is one state of a graph: what every state type has. The type's
// own fields and behaviour are its kind.
type state struct {
	name     string
	typ      string
	nextName string
	next     *state
	end      bool

	// flow is the state's data flow in its query language; assignVars
	// are the variables its Assign assigns.
	flow       dataflow
	assignVars []string

	// entered and exited are the shared history details of this state's
	// StateEntered/StateExited events.
	entered, exited *eventInfo

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

// exprs are the JSONata templates of a JSONata state's type-specific
// fields, by field name: Items and ItemSelector, and the fields that take
// a literal or a whole "{% %}" expression (exprFields).
type exprs map[string]*payload.JSONataTemplate

// limit is a number field that takes a literal, a reference path (the
// field's …Path twin, JSONPath) or an expression (JSONata):
// TimeoutSeconds, HeartbeatSeconds, MaxConcurrency and
// ToleratedFailureCount/Percentage.
type limit[T int64 | float64] struct {
	lit   T
	given bool // lit was given
	path  *jsonpath.Path
	expr  *payload.JSONataTemplate
}

// set reports whether the field was given in any form.
func (l limit[T]) set() bool { return l.given || l.path != nil || l.expr != nil }

// leafKind gives a state type with no transitions but Next, no nested
// graphs and nothing that waits its stateKind hooks.
type leafKind struct{}

func (leafKind) resolve(*parser, *graph, string)        {}
func (leafKind) successors(func(*state))                {}
func (leafKind) subgraphs(string, func(*graph, string)) {}
func (leafKind) assignNames() []string                  { return nil }
func (leafKind) waits() bool                            { return false }

// stateType is one state type as Parse sees it: the fields it accepts in
// each query language and its stateKind.
type stateType struct {
	fields, jsonataFields map[string]bool
	new                   func() stateKind
}

// stateTypes are the state types by name; each is declared next to its
// stateKind.
var stateTypes = map[string]*stateType{
	typePass:     &passType,
	typeSucceed:  &succeedType,
	typeFail:     &failType,
	typeWait:     &waitType,
	typeChoice:   &choiceType,
	typeTask:     &taskType,
	typeParallel: &parallelType,
	typeMap:      &mapType,
}

var jsonataFields = map[string]bool{"Output": true, "Arguments": true, "Items": true}

var commonFields = map[string]bool{"Type": true, "Comment": true, "QueryLanguage": true}

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
		if st.kind.waits() {
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
		st.kind.resolve(p, g, sloc)
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
			s.kind.successors(walk)
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
	t, known := stateTypes[typ]
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
	st := &state{name: name, typ: typ, kind: t.new()}
	st.entered = &eventInfo{typ: typ + "StateEntered", name: name}
	st.exited = &eventInfo{typ: typ + "StateExited", name: name}
	allowed := t.fields
	var jx exprs
	if p.jsonata {
		allowed = t.jsonataFields
		var f *jsonataFlow
		f, st.assignVars, o, jx = p.jsonataFields(o, loc, allowed)
		st.flow = f
	}
	for _, k := range o.Keys() {
		switch {
		case allowed[k] || commonFields[k]:
		case !p.jsonata && jsonataFields[k]:
			c.add(CodeSchema, loc, "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage", k)
		case p.jsonata && t.fields[k]:
			c.add(CodeSchema, loc, "The QueryLanguage is set to 'JSONata', but field '%s' is only supported for the 'JSONPath' QueryLanguage", k)
		default:
			c.add(CodeSchema, loc, "Field '%s' is not supported", k)
		}
	}
	stringField(c, o, loc, "Comment", false)

	// Transitions.
	if allowed["Next"] { // Pass, Task, Wait, Parallel, Map
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

	if !p.jsonata {
		st.flow, st.assignVars = p.pathFlow(o, loc, allowed)
	}
	// The type's own fields (Retry and Catch first, where the type has
	// them).
	st.kind.parse(p, st, o, loc, jx)
	return st
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
		p.compileError(loc, field, err)
		return nil
	}
	return t
}

// compileError reports a template of field that does not compile, at the
// place inside it a *payload.CompileError names.
func (p *parser) compileError(loc, field string, err error) {
	if ce, ok := err.(*payload.CompileError); ok {
		p.c.add(CodeSchema, loc+"/"+field+ce.Field, "%s", ce.Msg)
		return
	}
	p.c.add(CodeSchema, loc+"/"+field, "%s", err.Error())
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
		st.kind.subgraphs(sloc, func(g *graph, loc string) {
			if g != nil {
				p.declaredVars(g, inner, loc)
			}
		})
	}
}

func assignNames(st *state) []string {
	out := append([]string(nil), st.assignVars...)
	return append(out, st.kind.assignNames()...)
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
