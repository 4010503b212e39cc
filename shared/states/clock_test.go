package states_test

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
)

func TestVirtualClockFiresInDeadlineOrder(t *testing.T) {
	c := states.NewVirtualClock(epoch)
	late := c.NewTimer(epoch.Add(time.Hour))
	early := c.NewTimer(epoch.Add(time.Minute))
	c.Spawn()
	c.Park() // the only activity waits: the earliest timer fires
	select {
	case got := <-early.C():
		if !got.Equal(epoch.Add(time.Minute)) {
			t.Errorf("got fire time %v, want %v", got, epoch.Add(time.Minute))
		}
	default:
		t.Fatal("the earliest timer did not fire")
	}
	select {
	case <-late.C():
		t.Fatal("the later timer fired while an activity was running")
	default:
	}
	if late.Stop() {
		t.Error("Stop reported a pending timer as fired")
	}
	c.Advance(2 * time.Hour)
	if got, want := c.Now(), epoch.Add(time.Minute+2*time.Hour); !got.Equal(want) {
		t.Errorf("got %v after Advance, want %v", got, want)
	}
}

func TestScaledClock(t *testing.T) {
	c := states.NewScaledClock(3600)
	start := c.Now()
	timer := c.NewTimer(start.Add(time.Minute)) // 1/60 s of real time
	select {
	case <-timer.C():
	case <-time.After(2 * time.Second):
		t.Fatal("a scaled minute took more than 2 real seconds")
	}
	if got := c.Now().Sub(start); got < time.Minute {
		t.Errorf("got %v of scaled time, want at least a minute", got)
	}
}

// TestVirtualClockQuietHook: the hook sees the instant before time moves
// (now and the next deadline) and can hold time there; the held move is
// made at the next Park the hook agrees to.
func TestVirtualClockQuietHook(t *testing.T) {
	c := states.NewVirtualClock(epoch)
	var calls [][2]time.Time
	hold := true
	c.SetQuiet(func(now, next time.Time) bool {
		calls = append(calls, [2]time.Time{now, next})
		return !hold
	})
	timer := c.NewTimer(epoch.Add(time.Minute))
	c.Spawn()
	c.Park()
	select {
	case <-timer.C():
		t.Fatal("the timer fired while the quiet hook held time")
	default:
	}
	if !c.Now().Equal(epoch) {
		t.Errorf("time moved to %v while held", c.Now())
	}
	hold = false
	c.Spawn()
	c.Park()
	select {
	case got := <-timer.C():
		if want := epoch.Add(time.Minute); !got.Equal(want) {
			t.Errorf("fired at %v, want %v", got, want)
		}
	default:
		t.Fatal("the timer did not fire once the hook let time move")
	}
	want := [][2]time.Time{{epoch, epoch.Add(time.Minute)}, {epoch, epoch.Add(time.Minute)}}
	if len(calls) != len(want) || calls[0] != want[0] || calls[1] != want[1] {
		t.Errorf("quiet hook calls %v, want %v", calls, want)
	}
}
