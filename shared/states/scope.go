package states

import (
	"context"
	"sync"
	"sync/atomic"
)

// cancelScope is a cancellable region of an execution: the execution itself
// or the children of a Parallel or Map state. Cancelling a scope wakes every
// thread parked in it or below it and accounts for their wake-up with the
// clock before they run, so a virtual clock never jumps ahead of a
// cancellation.
type cancelScope struct {
	mu       *sync.Mutex // shared by the whole tree
	clock    Clock
	parent   *cancelScope
	children map[*cancelScope]struct{}
	waiters  map[*waiter]struct{}
	closed   bool
	ctx      context.Context
	cancelFn context.CancelFunc
}

// waiter is one parked thread.
type waiter struct {
	credited atomic.Bool
}

// credit accounts for the waiter's wake-up with the clock, once.
func (w *waiter) credit(clock Clock) {
	if w.credited.CompareAndSwap(false, true) {
		clock.Spawn()
	}
}

func newRootScope(ctx context.Context, clock Clock) *cancelScope {
	c, cancel := context.WithCancel(ctx)
	return &cancelScope{mu: &sync.Mutex{}, clock: clock, ctx: c, cancelFn: cancel}
}

// child returns a scope cancelled with s or on its own.
func (s *cancelScope) child() *cancelScope {
	c, cancel := context.WithCancel(s.ctx)
	cs := &cancelScope{mu: s.mu, clock: s.clock, parent: s, ctx: c, cancelFn: cancel}
	s.mu.Lock()
	if s.closed {
		cs.closed = true
		cancel()
	} else {
		if s.children == nil {
			s.children = map[*cancelScope]struct{}{}
		}
		s.children[cs] = struct{}{}
	}
	s.mu.Unlock()
	return cs
}

// release detaches a finished child scope from its parent.
func (s *cancelScope) release() {
	s.cancelFn()
	if s.parent == nil {
		return
	}
	s.mu.Lock()
	delete(s.parent.children, s)
	s.mu.Unlock()
}

// cancel closes s and its descendants, crediting every parked waiter.
func (s *cancelScope) cancel() {
	s.mu.Lock()
	s.closeLocked()
	s.mu.Unlock()
}

func (s *cancelScope) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	for w := range s.waiters {
		w.credit(s.clock)
	}
	for c := range s.children {
		c.closeLocked()
	}
	s.cancelFn()
}

// park registers w before the thread blocks; it reports false when the scope
// is already cancelled, in which case the thread must not block.
func (s *cancelScope) park(w *waiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.waiters == nil {
		s.waiters = map[*waiter]struct{}{}
	}
	s.waiters[w] = struct{}{}
	s.clock.Park()
	return true
}

// unpark removes w after the thread woke and reports whether a cancellation
// already accounted for its wake-up.
func (s *cancelScope) unpark(w *waiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.waiters, w)
	return w.credited.Load()
}

// done is closed when the scope is cancelled.
func (s *cancelScope) done() <-chan struct{} { return s.ctx.Done() }
