package sim

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

// clock is a virtual clock like states.VirtualClock — time moves only when
// every activity is parked, jumping to the earliest deadline — with one
// addition: before it moves, it asks quiet, which may look at the world at
// that stable instant (the invariant sampler) or veto the move while
// something the engine does not count as an activity is still due to run
// (an ended execution whose status change was not yet delivered). A vetoed
// move is retried at the next Park.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	nowNS  atomic.Int64
	busy   int
	seq    int
	gen    uint64 // changes on every Spawn, timer and fire
	timers vtimers

	// quiet is called, without the clock's lock, when every activity is
	// parked and time is about to move from now to next (next may equal
	// now). It returns false to keep time where it is.
	quiet func(now, next time.Time) bool
}

func newClock(start time.Time) *clock {
	c := &clock{now: start.UTC()}
	c.nowNS.Store(c.now.UnixNano())
	return c
}

var _ states.Clock = (*clock)(nil)

func (c *clock) Now() time.Time { return time.Unix(0, c.nowNS.Load()).UTC() }

func (c *clock) NewTimer(at time.Time) states.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.gen++
	t := &vtimer{c: c, at: at, seq: c.seq, ch: make(chan time.Time, 1), index: -1}
	heap.Push(&c.timers, t)
	return t
}

func (c *clock) Spawn() {
	c.mu.Lock()
	c.busy++
	c.gen++
	c.mu.Unlock()
}

func (c *clock) Unpark() { c.Spawn() }

func (c *clock) Park() {
	c.mu.Lock()
	c.busy--
	idle := c.busy <= 0
	if idle {
		c.busy = 0
	}
	c.mu.Unlock()
	if idle {
		c.advance()
	}
}

// advance fires the earliest timer if nothing runs and quiet agrees.
func (c *clock) advance() {
	for {
		c.mu.Lock()
		if c.busy > 0 || len(c.timers) == 0 {
			c.mu.Unlock()
			return
		}
		gen, now, next := c.gen, c.now, c.timers[0].at
		c.mu.Unlock()
		if c.quiet != nil && !c.quiet(now, next) {
			return
		}
		c.mu.Lock()
		if c.gen != gen {
			c.mu.Unlock()
			continue // something started or a new deadline came: look again
		}
		t := heap.Pop(&c.timers).(*vtimer)
		if t.at.After(c.now) {
			c.now = t.at
			c.nowNS.Store(t.at.UnixNano())
		}
		t.fired = true
		c.busy++ // the woken activity runs on this credit
		c.gen++
		t.ch <- c.now
		c.mu.Unlock()
		return
	}
}

type vtimer struct {
	c     *clock
	at    time.Time
	seq   int
	index int
	fired bool
	ch    chan time.Time
}

func (t *vtimer) C() <-chan time.Time { return t.ch }

// Stop reports whether the timer had already fired (its waiter then holds
// an activity credit).
func (t *vtimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.fired {
		return true
	}
	if t.index >= 0 {
		heap.Remove(&c.timers, t.index)
	}
	return false
}

type vtimers []*vtimer

func (h vtimers) Len() int { return len(h) }
func (h vtimers) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h vtimers) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *vtimers) Push(x any) {
	t := x.(*vtimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *vtimers) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

// sleep blocks an activity until the virtual time at, or until ctx ends
// (then it returns ctx's error). The caller is an activity before and after.
func (c *clock) sleep(ctx interface{ Done() <-chan struct{} }, at time.Time) bool {
	t := c.NewTimer(at)
	c.Park()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		if !t.Stop() {
			c.Unpark()
		}
		return false
	}
}
