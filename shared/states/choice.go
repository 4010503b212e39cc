package states

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
)

type opKind int

const (
	opString opKind = iota
	opNumeric
	opBoolean
	opTimestamp
	opMatches
	opIsNull
	opIsPresent
	opIsNumeric
	opIsString
	opIsBoolean
	opIsTimestamp
)

type cmp int

const (
	cmpEq cmp = iota
	cmpLt
	cmpGt
	cmpLe
	cmpGe
)

// choiceRule is one of a Choice state's Choices: the condition that
// selects it, the state it goes to and its own data flow.
type choiceRule struct {
	// cond is nil only in an invalid definition.
	cond     condition
	nextName string
	next     *state
	// flow is the rule's Assign (JSONPath), or its Assign and Output
	// (JSONata); assignVars are the variables it assigns.
	flow       dataflow
	assignVars []string
}

// condition is a Choice rule's test in its query language: a *comparison
// (JSONPath) or a jsonataCondition.
type condition interface {
	// test reports whether the rule matches the state's effective input
	// eff.
	test(sr *stateRun, eff any) (bool, *failure.Error)
}

// comparison is a JSONPath Choice rule's condition: a comparison of its
// Variable, or And, Or or Not of nested conditions.
type comparison struct {
	// Boolean combinators.
	and, or []*comparison
	not     *comparison

	// Comparison.
	variable *jsonpath.Path
	kind     opKind
	cmp      cmp
	operand  any            // literal operand
	timeOp   time.Time      // parsed timestamp literal
	opPath   *jsonpath.Path // ...Path variant
	pattern  []matchPart
}

func (c *comparison) test(sr *stateRun, eff any) (bool, *failure.Error) {
	// The environment stays on the stack: evalChoice keeps no reference.
	env := evalEnv{sr: sr, input: eff}
	ok, err := evalChoice(c, &env)
	if err != nil {
		return false, sr.fail(err)
	}
	return ok, nil
}

// jsonataCondition is a JSONata Choice rule's Condition.
type jsonataCondition struct{ expr *payload.JSONataTemplate }

func (c jsonataCondition) test(sr *stateRun, _ any) (bool, *failure.Error) {
	v, ferr := sr.jEval(c.expr, sr.bindings())
	if ferr != nil {
		return false, ferr
	}
	b, ok := v.(bool)
	if !ok {
		return false, sr.fail(&failure.Error{Name: failure.QueryEvaluationError,
			Cause: "The JSONata expression specified for the field 'Condition' returned a value that is not a boolean."})
	}
	return b, nil
}

type operator struct {
	kind opKind
	cmp  cmp
	path bool
}

var operators = func() map[string]operator {
	m := map[string]operator{
		"StringMatches": {kind: opMatches},
		"IsNull":        {kind: opIsNull},
		"IsPresent":     {kind: opIsPresent},
		"IsNumeric":     {kind: opIsNumeric},
		"IsString":      {kind: opIsString},
		"IsBoolean":     {kind: opIsBoolean},
		"IsTimestamp":   {kind: opIsTimestamp},
	}
	kinds := map[string]opKind{"String": opString, "Numeric": opNumeric, "Timestamp": opTimestamp}
	cmps := map[string]cmp{"Equals": cmpEq, "LessThan": cmpLt, "GreaterThan": cmpGt, "LessThanEquals": cmpLe, "GreaterThanEquals": cmpGe}
	for kn, k := range kinds {
		for cn, c := range cmps {
			m[kn+cn] = operator{kind: k, cmp: c}
			m[kn+cn+"Path"] = operator{kind: k, cmp: c, path: true}
		}
	}
	m["BooleanEquals"] = operator{kind: opBoolean}
	m["BooleanEqualsPath"] = operator{kind: opBoolean, path: true}
	return m
}()

var choiceType = stateType{
	fields:        set("Choices", "Default", "InputPath", "OutputPath", "Assign"),
	jsonataFields: set("Choices", "Default", "Output", "Assign"),
	new:           func() stateKind { return &choiceState{} },
}

// choiceState is a Choice state: it goes to the Next of the first rule
// that matches its input, else to its Default.
type choiceState struct {
	leafKind
	choices     []*choiceRule
	defaultName string
	def         *state
}

func (k *choiceState) parse(p *parser, st *state, o *jsonvalue.Object, loc string, _ exprs) {
	c := p.c
	if d, ok := stringField(c, o, loc, "Default", false); ok {
		k.defaultName = d
	}
	v, ok := o.Get("Choices")
	if !ok {
		c.add(CodeSchema, loc, "Missing required field 'Choices'")
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		c.add(CodeSchema, loc+"/Choices", "The field 'Choices' must be a non-empty array")
		return
	}
	for i, e := range arr {
		rloc := fmt.Sprintf("%s/Choices/%d", loc, i)
		if r := p.choiceRule(e, rloc); r != nil {
			k.choices = append(k.choices, r)
		}
	}
}

func (k *choiceState) resolve(p *parser, g *graph, loc string) {
	for i, r := range k.choices {
		p.resolveChoice(r, g, fmt.Sprintf("%s/Choices/%d", loc, i))
	}
	if k.defaultName != "" {
		if k.def = g.states[k.defaultName]; k.def == nil {
			p.c.add(CodeMissingTarget, loc+"/Default", "Missing 'Next' target: %s", k.defaultName)
		}
	}
}

func (k *choiceState) successors(visit func(*state)) {
	visit(k.def)
	for _, r := range k.choices {
		visit(r.next)
	}
}

func (k *choiceState) assignNames() []string {
	var out []string
	for _, r := range k.choices {
		out = append(out, r.assignVars...)
	}
	return out
}

func (k *choiceState) run(sr *stateRun) (any, *state, *failure.Error) {
	flow := sr.st.flow
	eff, ferr := flow.input(sr)
	if ferr != nil {
		return nil, nil, ferr
	}
	for _, r := range k.choices {
		if r.cond == nil {
			continue
		}
		ok, ferr := r.cond.test(sr, eff)
		if ferr != nil {
			return nil, nil, ferr
		}
		if ok {
			// The state's Assign applies whichever way the state goes,
			// and the matching rule's Assign on top of it; both see the
			// variables as they were. The rule's Output, if it has one
			// (JSONata), replaces the state's.
			out, ferr := flow.finish(sr, produced{value: eff, from: fromInput, rule: r.flow})
			return out, r.next, ferr
		}
	}
	if k.def == nil {
		// Step Functions raises States.Runtime here, not the spec's
		// States.NoChoiceMatched.
		return nil, nil, sr.fail(runtimeError("Failed to transition out of the state. The state does not point to a next state."))
	}
	out, ferr := flow.finish(sr, produced{value: eff, from: fromInput})
	return out, k.def, ferr
}

func (p *parser) resolveChoice(r *choiceRule, g *graph, loc string) {
	if r.nextName != "" {
		r.next = g.states[r.nextName]
		if r.next == nil {
			p.c.add(CodeMissingTarget, loc+"/Next", "Missing 'Next' target: %s", r.nextName)
		}
	}
}

// choiceRule parses one of a Choice state's Choices.
func (p *parser) choiceRule(v any, loc string) *choiceRule {
	o, ok := v.(*jsonvalue.Object)
	if !ok {
		p.c.add(CodeSchema, loc, "Expected value of type: Object")
		return nil
	}
	if p.jsonata {
		return p.jsonataChoiceRule(o, loc)
	}
	r := &choiceRule{}
	r.cond = p.comparison(o, loc, r)
	return r
}

// choiceRuleFields are the JSONPath data-flow fields of a Choice rule.
var choiceRuleFields = set("Assign")

// nestedComparison parses a rule inside And, Or or Not.
func (p *parser) nestedComparison(v any, loc string) *comparison {
	o, ok := v.(*jsonvalue.Object)
	if !ok {
		p.c.add(CodeSchema, loc, "Expected value of type: Object")
		return nil
	}
	return p.comparison(o, loc, nil)
}

// comparison parses a JSONPath rule's condition; rule is the top-level
// rule whose Next and Assign it reads too, nil for a nested one.
func (p *parser) comparison(o *jsonvalue.Object, loc string, rule *choiceRule) *comparison {
	c := p.c
	top := rule != nil
	r := &comparison{}
	var opName string
	nOps := 0
	for _, k := range o.Keys() {
		switch k {
		case "Variable", "Comment":
		case "Next":
			if !top {
				c.add(CodeSchema, loc+"/Next", "Nested choice rules may not have 'Next'")
			}
		case "Assign":
			if !top {
				c.add(CodeSchema, loc+"/Assign", "Nested choice rules may not have 'Assign'")
			}
		case "And", "Or", "Not":
			nOps++
			opName = k
		default:
			if _, ok := operators[k]; ok {
				nOps++
				opName = k
			} else {
				c.add(CodeSchema, pointer(loc, k), "The field %q is not supported by Step Functions", k)
			}
		}
	}
	if top {
		rule.nextName, _ = stringField(c, o, loc, "Next", true)
		rule.flow, rule.assignVars = p.pathFlow(o, loc, choiceRuleFields)
	}
	if nOps != 1 {
		c.add(CodeSchema, loc, "A choice rule must have exactly one comparison operator or And, Or, Not")
		return r
	}
	_, hasVar := o.Get("Variable")
	switch opName {
	case "And", "Or":
		if hasVar {
			c.add(CodeSchema, loc+"/Variable", "'Variable' may not be used with %s", opName)
		}
		av, _ := o.Get(opName)
		arr, ok := av.([]any)
		if !ok || len(arr) == 0 {
			c.add(CodeSchema, loc+"/"+opName, "The field '%s' must be a non-empty array", opName)
			return r
		}
		var subs []*comparison
		for i, e := range arr {
			subs = append(subs, p.nestedComparison(e, fmt.Sprintf("%s/%s/%d", loc, opName, i)))
		}
		if opName == "And" {
			r.and = subs
		} else {
			r.or = subs
		}
		return r
	case "Not":
		if hasVar {
			c.add(CodeSchema, loc+"/Variable", "'Variable' may not be used with Not")
		}
		nv, _ := o.Get("Not")
		r.not = p.nestedComparison(nv, loc+"/Not")
		if r.not == nil {
			r.not = &comparison{}
		}
		return r
	}
	r.variable = p.refPathAny(o, loc, "Variable", true)
	op := operators[opName]
	r.kind, r.cmp = op.kind, op.cmp
	val, _ := o.Get(opName)
	oloc := pointer(loc, opName)
	if op.path {
		s, ok := val.(string)
		if !ok {
			c.add(CodeSchema, oloc, "Expected value of type: String")
			return r
		}
		path, err := jsonpath.Parse(s)
		if err != nil || !path.IsReference() {
			c.add(CodeInvalidJSONPath, oloc, "The value for the field '%s' must be a valid ReferencePath", opName)
			return r
		}
		r.opPath = path
		return r
	}
	switch op.kind {
	case opString, opMatches:
		s, ok := val.(string)
		if !ok {
			c.add(CodeSchema, oloc, "Expected value of type: String")
			return r
		}
		r.operand = s
		if op.kind == opMatches {
			r.pattern = compileMatch(s)
		}
	case opNumeric:
		if _, ok := val.(json.Number); !ok {
			c.add(CodeSchema, oloc, "Expected value of type: Number")
			return r
		}
		r.operand = val
	case opTimestamp:
		s, ok := val.(string)
		t, err := parseTimestamp(s)
		if !ok || err != nil {
			c.add(CodeSchema, oloc, "Expected value of type: Timestamp")
			return r
		}
		r.timeOp = t
	default: // BooleanEquals and Is*
		if _, ok := val.(bool); !ok {
			c.add(CodeSchema, oloc, "Expected value of type: Boolean")
			return r
		}
		r.operand = val
	}
	return r
}

func (p *parser) jsonataChoiceRule(o *jsonvalue.Object, loc string) *choiceRule {
	c := p.c
	r := &choiceRule{}
	// Causes name a rule's fields by its index: "Choices[1]/Output".
	rule := "Choices"
	if i := strings.LastIndexByte(loc, '/'); i >= 0 {
		rule = "Choices[" + loc[i+1:] + "]"
	}
	for _, k := range o.Keys() {
		switch k {
		case "Condition", "Next", "Comment", "Assign", "Output":
		default:
			if _, isOp := operators[k]; isOp || k == "Variable" || k == "And" || k == "Or" || k == "Not" {
				c.add(CodeSchema, loc, "The QueryLanguage is set to 'JSONata', but field '%s' is only supported for the 'JSONPath' QueryLanguage", k)
			} else {
				c.add(CodeSchema, pointer(loc, k), "The field %q is not supported by Step Functions", k)
			}
		}
	}
	if _, ok := o.Get("Condition"); !ok {
		c.add(CodeSchema, loc, "Missing required field 'Condition'")
	} else {
		if t := p.jsonataFieldNamed(o, loc, "Condition", rule+"/Condition"); t != nil {
			r.cond = jsonataCondition{expr: t}
		}
	}
	r.nextName, _ = stringField(c, o, loc, "Next", true)
	f := &jsonataFlow{}
	if f.assign = p.jsonataFieldNamed(o, loc, "Assign", rule+"/Assign"); f.assign != nil {
		r.assignVars = p.checkAssignNames(o, loc)
	}
	f.output = p.jsonataFieldNamed(o, loc, "Output", rule+"/Output")
	r.flow = f
	return r
}

func (p *parser) refPathAny(o *jsonvalue.Object, loc, field string, required bool) *jsonpath.Path {
	if _, ok := o.Get(field); !ok {
		if required {
			p.c.add(CodeSchema, loc, "Missing required field '%s'", field)
		}
		return nil
	}
	return p.refPath(o, loc, field)
}

// evalChoice evaluates a rule. A missing Variable (other than for IsPresent)
// is a States.Runtime error.
func evalChoice(r *comparison, env *evalEnv) (bool, error) {
	switch {
	case r.and != nil:
		for _, s := range r.and {
			ok, err := evalChoice(s, env)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, s := range r.or {
			ok, err := evalChoice(s, env)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := evalChoice(r.not, env)
		return !ok, err
	}
	if r.variable == nil {
		return false, nil
	}
	v, err := env.Lookup(r.variable)
	if err == errNullInput {
		return false, err
	}
	if err != nil {
		if r.kind == opIsPresent {
			return r.operand == false, nil
		}
		return false, choicePathError(r.variable)
	}
	switch r.kind {
	case opIsPresent:
		return r.operand == true, nil
	case opIsNull:
		return (v == nil) == r.operand, nil
	case opIsNumeric:
		_, ok := v.(json.Number)
		return ok == r.operand, nil
	case opIsString:
		_, ok := v.(string)
		return ok == r.operand, nil
	case opIsBoolean:
		_, ok := v.(bool)
		return ok == r.operand, nil
	case opIsTimestamp:
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == r.operand, nil
	}
	operand := r.operand
	opTime := r.timeOp
	if r.opPath != nil {
		ov, err := env.Lookup(r.opPath)
		if err == errNullInput {
			return false, err
		}
		if err != nil {
			return false, choicePathError(r.opPath)
		}
		operand = ov
		if r.kind == opTimestamp {
			s, ok := ov.(string)
			if !ok {
				return false, nil
			}
			t, err := parseTimestamp(s)
			if err != nil {
				return false, nil
			}
			opTime = t
		}
	}
	switch r.kind {
	case opString:
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compareResult(strings.Compare(a, b), r.cmp), nil
	case opMatches:
		a, ok := v.(string)
		if !ok {
			return false, nil
		}
		pat := r.pattern
		if r.opPath != nil {
			s, ok := operand.(string)
			if !ok {
				return false, nil
			}
			pat = compileMatch(s)
		}
		return matchPattern(pat, a), nil
	case opNumeric:
		a, ok1 := v.(json.Number)
		b, ok2 := operand.(json.Number)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compareResult(jsonvalue.CompareNumbers(a, b), r.cmp), nil
	case opBoolean:
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		if !ok1 || !ok2 {
			return false, nil
		}
		return a == b, nil
	case opTimestamp:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		t, err := parseTimestamp(s)
		if err != nil {
			return false, nil
		}
		return compareResult(t.Compare(opTime), r.cmp), nil
	}
	return false, nil
}

func choicePathError(p *jsonpath.Path) error {
	return runtimeError("Invalid path '" + p.String() + "': The choice state's condition path references an invalid value.")
}

func compareResult(c int, op cmp) bool {
	switch op {
	case cmpEq:
		return c == 0
	case cmpLt:
		return c < 0
	case cmpGt:
		return c > 0
	case cmpLe:
		return c <= 0
	default:
		return c >= 0
	}
}

// parseTimestamp parses an RFC 3339 timestamp as Step Functions accepts it:
// an uppercase T separator and Z or a numeric offset.
func parseTimestamp(s string) (time.Time, error) {
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
	}
	return time.Parse(time.RFC3339Nano, s)
}

// matchPart is a literal run or a wildcard in a StringMatches pattern.
type matchPart struct {
	lit  string
	star bool
}

// compileMatch splits a StringMatches pattern: "*" matches any run of
// characters, "\*" a literal star and "\\" a literal backslash.
func compileMatch(p string) []matchPart {
	var parts []matchPart
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch {
		case ch == '\\' && i+1 < len(p) && (p[i+1] == '*' || p[i+1] == '\\'):
			b.WriteByte(p[i+1])
			i++
		case ch == '*':
			if b.Len() > 0 {
				parts = append(parts, matchPart{lit: b.String()})
				b.Reset()
			}
			if len(parts) == 0 || !parts[len(parts)-1].star {
				parts = append(parts, matchPart{star: true})
			}
		default:
			b.WriteByte(ch)
		}
	}
	if b.Len() > 0 {
		parts = append(parts, matchPart{lit: b.String()})
	}
	return parts
}

func matchPattern(parts []matchPart, s string) bool {
	if len(parts) == 0 {
		return s == ""
	}
	if !parts[0].star {
		if !strings.HasPrefix(s, parts[0].lit) {
			return false
		}
		s, parts = s[len(parts[0].lit):], parts[1:]
		if len(parts) == 0 {
			return s == ""
		}
	}
	if last := parts[len(parts)-1]; !last.star {
		if !strings.HasSuffix(s, last.lit) {
			return false
		}
		s, parts = s[:len(s)-len(last.lit)], parts[:len(parts)-1]
	}
	// The remaining parts are star, lit, star, ..., star: leftmost matches
	// of each literal are always safe.
	for _, p := range parts {
		if p.star {
			continue
		}
		j := strings.Index(s, p.lit)
		if j < 0 {
			return false
		}
		s = s[j+len(p.lit):]
	}
	return true
}
