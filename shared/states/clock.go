package states

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells the engine the time and wakes it at a point in time. The
// engine parks while it waits and unparks when it resumes, which lets a
// virtual clock jump to the next deadline once every execution is waiting.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once the clock reaches at.
	NewTimer(at time.Time) Timer
	// Park tells the clock that one activity stopped to wait.
	Park()
	// Unpark tells the clock that one activity resumed on its own.
	Unpark()
	// Spawn tells the clock that a new activity started.
	Spawn()
}

// Timer fires once on C.
type Timer interface {
	// C receives once the deadline is reached.
	C() <-chan time.Time
	// Stop cancels the timer. It reports whether the timer had already
	// fired; a fired timer has already accounted for the wake-up of its
	// waiter with the clock.
	Stop() bool
}

// RealClock returns a clock that follows the wall clock.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now().UTC() }
func (realClock) Park()          {}
func (realClock) Unpark()        {}
func (realClock) Spawn()         {}
func (realClock) NewTimer(at time.Time) Timer {
	d := time.Until(at)
	if d < 0 {
		d = 0
	}
	return realTimer{time.NewTimer(d)}
}

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return !t.t.Stop() }

// VirtualClock is a clock whose time only moves when every activity of the
// engine is parked: it then jumps to the earliest pending deadline and fires
// that timer. Waits therefore complete at once while their order and the
// timestamps they produce stay those of real time. A quiet hook (SetQuiet)
// may look at that stable instant before time moves, or hold time.
type VirtualClock struct {
	mu     sync.Mutex
	now    time.Time
	nowNS  atomic.Int64 // now, readable without the lock
	busy   int
	seq    int
	gen    uint64 // changes on every Spawn, timer and fire
	timers timerHeap
	quiet  func(now, next time.Time) bool
}

// NewVirtualClock returns a virtual clock reading start.
func NewVirtualClock(start time.Time) *VirtualClock {
	c := &VirtualClock{now: start.UTC()}
	c.nowNS.Store(c.now.UnixNano())
	return c
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	return time.Unix(0, c.nowNS.Load()).UTC()
}

// Advance moves the virtual time forward by d, firing every timer due.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].at.After(target) {
		c.fireLocked()
	}
	c.setLocked(target)
}

func (c *VirtualClock) setLocked(t time.Time) {
	c.now = t
	c.nowNS.Store(t.UnixNano())
}

// NewTimer returns a timer that fires when the virtual time reaches at.
func (c *VirtualClock) NewTimer(at time.Time) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.gen++
	t := &virtualTimer{clock: c, at: at, seq: c.seq, ch: make(chan time.Time, 1), index: -1}
	heap.Push(&c.timers, t)
	return t
}

// Spawn records that a new activity started.
func (c *VirtualClock) Spawn() {
	c.mu.Lock()
	c.busy++
	c.gen++
	c.mu.Unlock()
}

// Unpark records that a parked activity resumed.
func (c *VirtualClock) Unpark() { c.Spawn() }

// SetQuiet sets the hook the clock calls, without its lock, whenever every
// activity is parked and time is about to move from now to next (next may
// equal now): it may look at the world at that stable instant, or return
// false to keep time where it is while something the engine does not count
// as an activity is still due to run. A held move is tried again at the
// next Park. Advance does not call it.
func (c *VirtualClock) SetQuiet(quiet func(now, next time.Time) bool) {
	c.mu.Lock()
	c.quiet = quiet
	c.mu.Unlock()
}

// Park records that an activity stopped to wait; when none is left running
// the clock jumps to the earliest deadline and fires it.
func (c *VirtualClock) Park() {
	c.mu.Lock()
	c.busy--
	if c.busy > 0 {
		c.mu.Unlock()
		return
	}
	c.busy = 0
	c.advanceLocked()
}

// advanceLocked fires the earliest timer if nothing runs and the quiet hook
// agrees. It is called with the lock held and returns with it released.
// While the hook runs, unlocked, an activity may start or a deadline be
// added; then the clock looks again.
func (c *VirtualClock) advanceLocked() {
	for {
		if c.busy > 0 || len(c.timers) == 0 {
			c.mu.Unlock()
			return
		}
		if quiet := c.quiet; quiet != nil {
			gen, now, next := c.gen, c.now, c.timers[0].at
			c.mu.Unlock()
			if !quiet(now, next) {
				return
			}
			c.mu.Lock()
			if c.gen != gen {
				continue
			}
		}
		c.fireLocked()
		c.mu.Unlock()
		return
	}
}

func (c *VirtualClock) fireLocked() {
	t := heap.Pop(&c.timers).(*virtualTimer)
	if t.at.After(c.now) {
		c.setLocked(t.at)
	}
	t.fired = true
	c.busy++ // the woken activity runs on this credit
	c.gen++
	t.ch <- c.now
}

type virtualTimer struct {
	clock *VirtualClock
	at    time.Time
	seq   int
	index int
	fired bool
	ch    chan time.Time
}

func (t *virtualTimer) C() <-chan time.Time { return t.ch }

func (t *virtualTimer) Stop() bool {
	c := t.clock
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

type timerHeap []*virtualTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*virtualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

// ScaledClock is a real-time clock running factor times faster than the wall
// clock: with factor 60 a one-hour Wait takes a minute. It starts at the
// wall-clock time it is created.
type ScaledClock struct {
	start     time.Time
	realStart time.Time
	factor    float64
}

// NewScaledClock returns a clock running factor times faster than real time;
// a factor of 1 or less behaves like RealClock.
func NewScaledClock(factor float64) *ScaledClock {
	if factor < 1 {
		factor = 1
	}
	now := time.Now()
	return &ScaledClock{start: now.UTC(), realStart: now, factor: factor}
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.realStart)) * c.factor))
}

// NewTimer fires after the scaled distance to at has passed in real time.
func (c *ScaledClock) NewTimer(at time.Time) Timer {
	d := time.Duration(float64(at.Sub(c.Now())) / c.factor)
	if d < 0 {
		d = 0
	}
	return realTimer{time.NewTimer(d)}
}

// Park does nothing: scaled time moves on its own.
func (c *ScaledClock) Park() {}

// Unpark does nothing.
func (c *ScaledClock) Unpark() {}

// Spawn does nothing.
func (c *ScaledClock) Spawn() {}
