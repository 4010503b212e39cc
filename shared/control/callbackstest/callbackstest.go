// Package callbackstest is the contract suite for control.TaskCallbacks:
// the Step Functions adapter (shared/sfn, on awsfake) and the embedded
// engine (shared/states) both run Run, so a decision means the same thing,
// and fails the same way, on AWS and locally.
package callbackstest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// Outcome is how a task ended.
type Outcome struct {
	// Succeeded is true for SendTaskSuccess; Output is then its output.
	Succeeded bool
	Output    string
	// Error and Cause are the SendTaskFailure values otherwise.
	Error, Cause string
}

// Backend is one implementation with tasks it can put in each state.
type Backend struct {
	Callbacks control.TaskCallbacks
	// Waiting returns the token of a task waiting for its callback.
	Waiting func(t *testing.T) string
	// Ended waits until the task of token has ended and says how.
	Ended func(t *testing.T, token string) Outcome
	// TimedOut returns the token of a task that timed out before any
	// callback.
	TimedOut func(t *testing.T) string
	// Unknown is a well-formed token of no task.
	Unknown string
}

// NewFunc returns a fresh backend.
type NewFunc func(t *testing.T) Backend

// Run runs the contract; each subtest gets a fresh backend.
func Run(t *testing.T, newBackend NewFunc) {
	ctx := context.Background()
	t.Run("SuccessCompletesTheTaskWithItsOutput", func(t *testing.T) {
		b := newBackend(t)
		tok := b.Waiting(t)
		if err := b.Callbacks.SendTaskSuccess(ctx, tok, []byte(`{"approved":true,"by":"ana"}`)); err != nil {
			t.Fatalf("SendTaskSuccess: %v", err)
		}
		got := b.Ended(t, tok)
		if !got.Succeeded || !sameJSON(got.Output, `{"approved":true,"by":"ana"}`) {
			t.Errorf("task ended %+v, want succeeded with the output", got)
		}
	})
	t.Run("FailureFailsTheTaskWithErrorAndCause", func(t *testing.T) {
		b := newBackend(t)
		tok := b.Waiting(t)
		if err := b.Callbacks.SendTaskFailure(ctx, tok, "AlarmTriggered", "orders-5xx is ALARM"); err != nil {
			t.Fatalf("SendTaskFailure: %v", err)
		}
		if got := b.Ended(t, tok); got.Succeeded || got.Error != "AlarmTriggered" || got.Cause != "orders-5xx is ALARM" {
			t.Errorf("task ended %+v, want failed with AlarmTriggered and the cause", got)
		}
	})
	// A decision that arrives after its task ended is ErrConflict in every
	// implementation: "too late", not a failure worth a retry.
	late := []struct {
		name string
		send func(control.TaskCallbacks, string) error
	}{
		{"Success", func(c control.TaskCallbacks, tok string) error { return c.SendTaskSuccess(ctx, tok, []byte(`{}`)) }},
		{"Failure", func(c control.TaskCallbacks, tok string) error {
			return c.SendTaskFailure(ctx, tok, "Rejected", "too late")
		}},
	}
	for _, l := range late {
		t.Run(l.name+"AfterADecisionIsConflict", func(t *testing.T) {
			b := newBackend(t)
			tok := b.Waiting(t)
			if err := b.Callbacks.SendTaskFailure(ctx, tok, "Rejected", "first"); err != nil {
				t.Fatalf("first decision: %v", err)
			}
			b.Ended(t, tok)
			if err := l.send(b.Callbacks, tok); !errors.Is(err, release.ErrConflict) {
				t.Errorf("second decision = %v, want release.ErrConflict", err)
			}
			if got := b.Ended(t, tok); got.Succeeded || got.Error != "Rejected" || got.Cause != "first" {
				t.Errorf("task ended %+v, want the first decision kept", got)
			}
		})
		t.Run(l.name+"AfterTimeoutIsConflict", func(t *testing.T) {
			b := newBackend(t)
			if err := l.send(b.Callbacks, b.TimedOut(t)); !errors.Is(err, release.ErrConflict) {
				t.Errorf("decision after the timeout = %v, want release.ErrConflict", err)
			}
		})
		t.Run(l.name+"OnUnknownTokenIsConflict", func(t *testing.T) {
			b := newBackend(t)
			if err := l.send(b.Callbacks, b.Unknown); !errors.Is(err, release.ErrConflict) {
				t.Errorf("decision on an unknown token = %v, want release.ErrConflict", err)
			}
		})
		t.Run(l.name+"OnEmptyTokenIsInvalid", func(t *testing.T) {
			b := newBackend(t)
			if err := l.send(b.Callbacks, ""); !errors.Is(err, release.ErrInvalid) || errors.Is(err, release.ErrConflict) {
				t.Errorf("decision on an empty token = %v, want release.ErrInvalid only", err)
			}
		})
	}
	t.Run("OutputNotJSONIsInvalidAndKeepsTheTaskWaiting", func(t *testing.T) {
		b := newBackend(t)
		tok := b.Waiting(t)
		if err := b.Callbacks.SendTaskSuccess(ctx, tok, []byte(`{"approved":`)); !errors.Is(err, release.ErrInvalid) {
			t.Fatalf("SendTaskSuccess with broken JSON = %v, want release.ErrInvalid", err)
		}
		if err := b.Callbacks.SendTaskSuccess(ctx, tok, []byte(`{"approved":true}`)); err != nil {
			t.Fatalf("SendTaskSuccess after the refused one: %v, want the task still waiting", err)
		}
		if got := b.Ended(t, tok); !got.Succeeded {
			t.Errorf("task ended %+v, want succeeded", got)
		}
	})
}

func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}
