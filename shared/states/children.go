package states

import (
	"sync"
	"sync/atomic"

	"github.com/shipwave/shipwave/shared/states/failure"
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
