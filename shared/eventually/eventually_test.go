package eventually_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/eventually"
)

// recorder is an eventually.TB that keeps the failure instead of ending
// the test.
type recorder struct{ failed string }

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestTrue(t *testing.T) {
	tests := []struct {
		name     string
		holdsAt  int64 // the poll from which the condition holds; 0: never
		wantFail string
	}{
		{"holds at once", 1, ""},
		{"holds after some polls", 5, ""},
		{"never holds", 0, "timed out after 20ms waiting for the answer: the condition never held"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var polls atomic.Int64
			r := &recorder{}
			eventually.True(r, 20*time.Millisecond, "the answer", func() bool {
				return polls.Add(1) == tt.holdsAt || (tt.holdsAt > 0 && polls.Load() > tt.holdsAt)
			})
			if r.failed != tt.wantFail {
				t.Errorf("failure %q, want %q", r.failed, tt.wantFail)
			}
			if tt.holdsAt > 0 && polls.Load() != tt.holdsAt {
				t.Errorf("polled %d times, want %d (no poll after the condition held)", polls.Load(), tt.holdsAt)
			}
		})
	}
}

func TestNoErrorNamesTheLastError(t *testing.T) {
	r := &recorder{}
	eventually.NoError(r, 10*time.Millisecond, "the port", func() error { return errors.New("address in use") })
	if want := "timed out after 10ms waiting for the port: address in use"; r.failed != want {
		t.Errorf("failure %q, want %q", r.failed, want)
	}
}

func TestWithinWrapsTheLastError(t *testing.T) {
	cause := errors.New("not yet")
	err := eventually.Within(5*time.Millisecond, "the file", func() error { return cause })
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "the file") {
		t.Errorf("err = %v, want it to wrap %v and name the file", err, cause)
	}
	if err := eventually.Within(time.Second, "the file", func() error { return nil }); err != nil {
		t.Errorf("err = %v, want nil", err)
	}
}
