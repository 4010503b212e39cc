package states

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload/jsonata"
)

// maxInlineConcurrency is how many inline Map iterations Step Functions runs
// at once when MaxConcurrency is 0.
const maxInlineConcurrency = 40

// childResults collects the outcome of concurrent children.
type childResults struct {
	out      []any
	errs     []*failure.Error
	failed   int
	firstErr *failure.Error
}

// runChildren runs fn for 0..n-1 with at most workers at a time, inline
// when pure. stop decides after each failure whether the rest is aborted;
// it is called with the results lock held.
func (th *thread) runChildren(n, workers int, pure bool, fn func(i int, child *thread) (any, *failure.Error), stop func(r *childResults) bool) *childResults {
	r := &childResults{out: make([]any, n), errs: make([]*failure.Error, n)}
	if n == 0 {
		return r
	}
	newChild := func(cs *cancelScope) *thread {
		return &thread{x: th.x, cs: cs, prev: th.prev, scope: &scope{parent: th.scope}}
	}
	if pure {
		// Children that never wait run one after the other in this
		// goroutine; the first failure stops the rest.
		for i := 0; i < n; i++ {
			out, ferr := fn(i, newChild(th.cs))
			if ferr == nil {
				r.out[i] = out
				continue
			}
			r.errs[i] = ferr
			if ferr == errAborted {
				r.firstErr = ferr
				return r
			}
			r.failed++
			if stop(r) {
				r.firstErr = ferr
				for j := i + 1; j < n; j++ {
					r.errs[j] = errAborted
				}
				return r
			}
		}
		return r
	}
	cs := th.cs.child()
	defer cs.release()
	ctx, cancel := cs.ctx, cs.cancel
	var mu sync.Mutex
	handle := func(i int, out any, ferr *failure.Error) bool {
		mu.Lock()
		defer mu.Unlock()
		if ferr == nil {
			r.out[i] = out
			return false
		}
		r.errs[i] = ferr
		if ferr == errAborted {
			return false
		}
		r.failed++
		if stop(r) {
			if r.firstErr == nil {
				r.firstErr = ferr
			}
			cancel()
			return true
		}
		return false
	}
	if workers <= 0 || workers > n {
		workers = n
	}
	clock := th.x.engine.clock
	var next atomic.Int64
	remaining := atomic.Int64{}
	remaining.Store(int64(workers))
	done := make(chan struct{})
	// Until every worker has ended, history counting is atomic.
	th.x.fanout.Add(1)
	for w := 0; w < workers; w++ {
		clock.Spawn()
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					break
				}
				if ctx.Err() != nil {
					mu.Lock()
					r.errs[i] = errAborted
					mu.Unlock()
					continue
				}
				out, ferr := fn(i, newChild(cs))
				handle(i, out, ferr)
			}
			if remaining.Add(-1) == 0 {
				close(done) // this activity's credit passes to the parent
			} else {
				clock.Park()
			}
		}()
	}
	clock.Park()
	<-done
	th.x.fanout.Add(-1)
	return r
}

func (sr *stateRun) parallel() (any, *failure.Error) {
	st := sr.st
	th := sr.th
	var eff any
	var ferr *failure.Error
	if st.jsonata {
		if eff, ferr = sr.jInput(); ferr != nil {
			return nil, ferr
		}
	} else {
		if eff, ferr = sr.selectPath(st.inputPath, sr.raw); ferr != nil {
			return nil, ferr
		}
		if st.parameters != nil {
			if eff, ferr = sr.applyTemplate(st.parameters, eff, nil); ferr != nil {
				return nil, ferr
			}
		}
	}
	th.record(event{info: infoParallelStateStarted})
	pure := true
	for _, b := range st.branches {
		pure = pure && b.pure
	}
	r := th.runChildren(len(st.branches), 0, pure, func(i int, child *thread) (any, *failure.Error) {
		return child.runGraph(st.branches[i], eff)
	}, func(*childResults) bool { return true })
	if th.context().Err() != nil {
		return nil, errAborted
	}
	if r.firstErr != nil {
		th.record(event{info: infoParallelStateFailed})
		return nil, r.firstErr
	}
	th.record(event{info: infoParallelStateSucceeded})
	return sr.finishResult(r.out)
}

// finishResult is the one result pipeline of the states that do work
// (Task, Parallel, Map): ResultSelector, Assign, ResultPath, OutputPath and
// the payload size check, or Output and Assign in JSONata.
func (sr *stateRun) finishResult(result any) (any, *failure.Error) {
	st := sr.st
	if st.jsonata {
		return sr.jResult(result)
	}
	var ferr *failure.Error
	if st.resultSelector != nil {
		if result, ferr = sr.applyTemplate(st.resultSelector, result, nil); ferr != nil {
			return nil, ferr
		}
	}
	if ferr := sr.assign(st.assign, result); ferr != nil {
		return nil, ferr
	}
	o, ferr := sr.applyResultPath(st.resultPath, sr.raw, result)
	if ferr != nil {
		return nil, ferr
	}
	if o, ferr = sr.selectPath(st.outputPath, o); ferr != nil {
		return nil, ferr
	}
	if ferr := sr.checkSize(o, st.name); ferr != nil {
		return nil, ferr
	}
	return o, nil
}

func (sr *stateRun) mapState() (any, *failure.Error) {
	st := sr.st
	th := sr.th
	var eff, itemsV any
	var ferr *failure.Error
	if st.jsonata {
		eff, itemsV = sr.raw, sr.raw
		if st.jItems != nil {
			clock := sr.th.x.engine.clock
			v, err := st.jItems.ApplyItems(sr.jVars(sr.raw, nil, nil, nil), jsonata.Options{NowMillis: func() int64 { return clock.Now().UnixMilli() }})
			if err != nil {
				return nil, sr.fail(err)
			}
			itemsV = v
		}
	} else {
		if eff, ferr = sr.selectPath(st.inputPath, sr.raw); ferr != nil {
			return nil, ferr
		}
		if itemsV, ferr = sr.selectPath(st.itemsPath, eff); ferr != nil {
			return nil, ferr
		}
	}
	items, ok := itemsV.([]any)
	if !ok {
		b, _ := jsonvalue.Marshal(itemsV)
		name := failure.Runtime
		if st.jsonata {
			name = failure.QueryEvaluationError
		}
		return nil, sr.fail(&failure.Error{Name: name, Cause: "Map state input must be an array but was: " + string(b)})
	}
	env := sr.env(eff)
	maxConc := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		v, err := env.Lookup(st.maxConcurrencyPath)
		n, ok := nonNegativeInt(numberText(v))
		if err != nil || !ok {
			return nil, sr.fail(runtimeError("The MaxConcurrencyPath field refers to value that is not a valid integer: " + st.maxConcurrencyPath.String()))
		}
		maxConc = n
	}
	if st.jMaxConc != nil {
		if maxConc, ferr = sr.jInt(st.jMaxConc, 0, "MaxConcurrency", 0); ferr != nil {
			return nil, ferr
		}
	}
	tolCount, tolPercent := st.toleratedCount, st.toleratedPercent
	if st.jTolCount != nil {
		if tolCount, ferr = sr.jInt(st.jTolCount, 0, "ToleratedFailureCount", 0); ferr != nil {
			return nil, ferr
		}
	}
	if st.jTolPercent != nil {
		v, ferr := sr.jEval(st.jTolPercent, sr.jVars(sr.raw, nil, nil, nil))
		if ferr != nil {
			return nil, ferr
		}
		f, ok := toFloat(v)
		if !ok || f < 0 || f > 100 {
			return nil, sr.fail(&failure.Error{Name: failure.QueryEvaluationError,
				Cause: "The JSONata expression specified for the field 'ToleratedFailurePercentage' returned an invalid value. Expected a number between 0 and 100."})
		}
		tolPercent = f
	}
	hasCount := st.hasTolCount || st.toleratedCountPath != nil || st.jTolCount != nil
	hasPercent := st.hasTolPercent || st.toleratedPercentPath != nil || st.jTolPercent != nil
	if st.toleratedCountPath != nil {
		v, err := env.Lookup(st.toleratedCountPath)
		n, ok := nonNegativeInt(numberText(v))
		if err != nil || !ok {
			return nil, sr.fail(runtimeError("The ToleratedFailureCountPath field refers to value that is not a valid integer: " + st.toleratedCountPath.String()))
		}
		tolCount = n
	}
	if st.toleratedPercentPath != nil {
		v, err := env.Lookup(st.toleratedPercentPath)
		f, ok := toFloat(numberText(v))
		if err != nil || !ok || f < 0 || f > 100 {
			return nil, sr.fail(runtimeError("The ToleratedFailurePercentagePath field refers to value that is not a valid number between 0 and 100: " + st.toleratedPercentPath.String()))
		}
		tolPercent = f
	}
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
	r := th.runChildren(n, workers, st.iterator.pure, func(i int, child *thread) (any, *failure.Error) {
		child.record(event{info: st.iter[iterStarted], index: i})
		input := items[i]
		if st.jItemSelector != nil {
			v, ferr := sr.jEval(st.jItemSelector, sr.jVars(sr.raw, nil, nil, &mapItem{index: i, value: items[i]}))
			if ferr != nil {
				child.record(event{info: st.iter[iterFailed], index: i})
				return nil, ferr
			}
			input = v
		} else if st.itemSelector != nil {
			v, ferr := sr.applyTemplate(st.itemSelector, eff, &mapItem{index: i, value: items[i]})
			if ferr != nil {
				child.record(event{info: st.iter[iterFailed], index: i})
				return nil, ferr
			}
			input = v
		}
		out, ferr := child.runGraph(st.iterator, input)
		switch {
		case ferr == errAborted:
			child.record(event{info: st.iter[iterAborted], index: i})
		case ferr != nil:
			child.record(event{info: st.iter[iterFailed], index: i})
		default:
			child.record(event{info: st.iter[iterSucceeded], index: i})
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
	return sr.finishResult(out)
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
