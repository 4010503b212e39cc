package local

import (
	"testing"
	"time"
)

func TestScaledClock(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
		wait  time.Duration // scaled
	}{
		{name: "4x", scale: 4, wait: 400 * time.Millisecond},
		{name: "10x", scale: 10, wait: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newScaledClock(tc.scale)
			began := time.Now()
			at := c.Now().Add(tc.wait)
			timer := c.NewTimer(at)
			<-timer.C()
			wall := time.Since(began)
			wantWall := time.Duration(float64(tc.wait) / tc.scale)
			// Never early; and scaled: sooner than the unscaled wait (no
			// tighter wall-clock bound, which a loaded machine breaks).
			if wall < wantWall || wall >= tc.wait {
				t.Errorf("timer for %s scaled fired after %s wall, want at least %s and less than %s", tc.wait, wall, wantWall, tc.wait)
			}
			if now := c.Now(); now.Before(at) {
				t.Errorf("after the timer the clock reads %s, before its deadline %s", now, at)
			}
			if got := c.real(at).Sub(c.start); got < wantWall || got > wantWall+10*time.Millisecond {
				t.Errorf("real(deadline) = start+%s, want start+%s", got, wantWall)
			}
			if timer.Stop() != true {
				t.Error("Stop after firing reported the timer had not fired")
			}
		})
	}
}
