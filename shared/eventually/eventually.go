package eventually

import (
	"errors"
	"fmt"
	"time"
)

// TB is the part of testing.TB the waits use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// The first poll comes after minPoll; the interval doubles up to maxPoll,
// so a quick condition is seen quickly and a slow one is not busy-polled.
const (
	minPoll = time.Millisecond
	maxPoll = 50 * time.Millisecond
)

// errFalse is the last error of a condition that never held.
var errFalse = errors.New("the condition never held")

// True polls cond until it returns true, failing tb (with Fatalf, so only
// from the test's goroutine) if it has not within timeout: "timed out
// after TIMEOUT waiting for WHAT".
func True(tb TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	NoError(tb, timeout, what, func() error {
		if cond() {
			return nil
		}
		return errFalse
	})
}

// NoError polls f until it returns nil, failing tb (with Fatalf) if it
// has not within timeout; the message ends with f's last error.
func NoError(tb TB, timeout time.Duration, what string, f func() error) {
	tb.Helper()
	if err := Within(timeout, what, f); err != nil {
		tb.Fatalf("%v", err)
	}
}

// Within polls f until it returns nil and returns nil then, or an error
// naming what and f's last error once timeout has passed. It fails no
// test, so it serves goroutines other than the test's own.
func Within(timeout time.Duration, what string, f func() error) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := minPoll
	for {
		err := f()
		if err == nil {
			return nil
		}
		next := time.NewTimer(poll)
		select {
		case <-next.C:
		case <-deadline.C:
			next.Stop()
			if err := f(); err == nil {
				return nil
			}
			return fmt.Errorf("timed out after %s waiting for %s: %w", timeout, what, err)
		}
		poll = min(2*poll, maxPoll)
	}
}
