package states

import (
	"fmt"
	"math"
	"time"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// retrying is what the state types that do work (Task, Parallel, Map)
// share: their Retry and Catch fields, parsed, resolved and run here.
type retrying struct {
	retry []*retrier
	catch []*catcher
}

// worker is a state type whose work withRetry retries.
type worker interface {
	// work performs one attempt of the state's work and finishes its
	// result.
	work(sr *stateRun) (any, *failure.Error)
}

func (r *retrying) parseRetrying(p *parser, o *jsonvalue.Object, loc string) {
	r.retry = p.retriers(o, loc)
	r.catch = p.catchers(o, loc)
}

func (r *retrying) resolve(p *parser, g *graph, loc string) {
	for i, ct := range r.catch {
		if ct.nextName == "" {
			continue
		}
		if ct.next = g.states[ct.nextName]; ct.next == nil {
			p.c.add(CodeMissingTarget, fmt.Sprintf("%s/Catch/%d/Next", loc, i), "Missing 'Next' target: %s", ct.nextName)
		}
	}
}

func (r *retrying) successors(visit func(*state)) {
	for _, ct := range r.catch {
		visit(ct.next)
	}
}

func (r *retrying) assignNames() []string {
	var out []string
	for _, ct := range r.catch {
		out = append(out, ct.assignVars...)
	}
	return out
}

func (*retrying) subgraphs(string, func(*graph, string)) {}

// waits reports whether a retry can wait.
func (r *retrying) waits() bool { return len(r.retry) > 0 }

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
	// flow is the catcher's ResultPath and Assign (JSONPath) or Output and
	// Assign (JSONata); assignVars are the variables it assigns.
	flow       dataflow
	assignVars []string
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

// catcherFields are the JSONPath data-flow fields of a catcher.
var catcherFields = set("ResultPath", "Assign")

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
		if p.jsonata {
			f := &jsonataFlow{assign: p.jsonataField(co, cloc, "Assign"), output: p.jsonataField(co, cloc, "Output")}
			if f.assign != nil {
				ct.assignVars = p.checkAssignNames(co, cloc)
			}
			ct.flow = f
		} else {
			ct.flow, ct.assignVars = p.pathFlow(co, cloc, catcherFields)
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

// withRetry runs w, the work of a Task, Parallel or Map state, with the
// state's Retry and Catch (r).
func (sr *stateRun) withRetry(r *retrying, w worker) (any, *state, *failure.Error) {
	st := sr.st
	var counts []int64
	for {
		out, ferr := w.work(sr)
		if ferr == nil {
			return out, st.next, nil
		}
		if ferr == errAborted || ferr.Name == failure.Runtime {
			return nil, nil, ferr
		}
		if i := matchRetrier(r.retry, ferr.Name); i >= 0 {
			rt := r.retry[i]
			if counts == nil {
				counts = make([]int64, len(r.retry))
			}
			if counts[i] < rt.maxAttempts {
				delay := float64(rt.intervalSeconds) * math.Pow(rt.backoffRate, float64(counts[i]))
				if rt.maxDelaySeconds > 0 && delay > float64(rt.maxDelaySeconds) {
					delay = float64(rt.maxDelaySeconds)
				}
				if rt.jitterFull {
					delay *= sr.th.x.engine.rnd.Float64()
				}
				counts[i]++
				sr.retries++
				sr.resetContext()
				clock := sr.th.x.engine.clock
				if err := sr.th.sleepUntil(clock.Now().Add(time.Duration(delay * float64(time.Second)))); err != nil {
					return nil, nil, errAborted
				}
				continue
			}
		}
		for _, c := range r.catch {
			if !matchError(c.errorEquals, ferr.Name) {
				continue
			}
			errOut := jsonvalue.NewObject(2)
			errOut.Set("Error", ferr.Name)
			errOut.Set("Cause", ferr.Cause)
			out, cerr := c.flow.finish(sr, produced{value: errOut, from: fromError})
			if cerr != nil {
				return nil, nil, cerr
			}
			return out, c.next, nil
		}
		return nil, nil, ferr
	}
}

func matchRetrier(rs []*retrier, name string) int {
	for i, r := range rs {
		if matchError(r.errorEquals, name) {
			return i
		}
	}
	return -1
}

// matchError reports whether an ErrorEquals list matches name. States.ALL
// matches everything but States.Runtime and States.DataLimitExceeded;
// States.TaskFailed matches everything but those and States.Timeout.
func matchError(list []string, name string) bool {
	for _, e := range list {
		switch {
		case e == name:
			return true
		case e == failure.ALL:
			if name != failure.Runtime && name != failure.DataLimitExceeded {
				return true
			}
		case e == failure.TaskFailed:
			if name != failure.Runtime && name != failure.DataLimitExceeded && name != failure.Timeout {
				return true
			}
		}
	}
	return false
}
