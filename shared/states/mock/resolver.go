package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

// Resolver answers the Task states a test case mocks and passes every other
// Task to an inner resolver. Invocations are counted per state name from
// zero over the resolver's lifetime, so use one Resolver per execution. It
// is safe for concurrent use.
type Resolver struct {
	responses map[string]*Response // by state name
	inner     states.TaskResolver

	mu    sync.Mutex
	calls map[string]int
}

var _ states.TaskResolver = (*Resolver)(nil)

// NewResolver returns a resolver for the test case testCase of the state
// machine stateMachine in cfg. inner resolves the states the test case does
// not mock; nil fails them as an unknown resource would.
func NewResolver(cfg *Config, stateMachine, testCase string, inner states.TaskResolver) (*Resolver, error) {
	tc, err := cfg.TestCase(stateMachine, testCase)
	if err != nil {
		return nil, err
	}
	r := &Resolver{responses: map[string]*Response{}, inner: inner, calls: map[string]int{}}
	for state, name := range tc.States {
		resp, ok := cfg.Responses[name]
		if !ok {
			return nil, fmt.Errorf("%s: test case %q: mocked response %q is not defined", cfg.File, testCase, name)
		}
		r.responses[state] = resp
	}
	return r, nil
}

// Resolve returns a handler that picks the mocked response by the Task's
// state name when the task runs, or defers to the inner resolver.
func (r *Resolver) Resolve(resource string) (states.TaskHandler, error) {
	return states.TaskFunc(func(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
		resp, ok := r.responses[req.StateName]
		if !ok {
			return r.passThrough(ctx, resource, req)
		}
		r.mu.Lock()
		n := r.calls[req.StateName]
		r.calls[req.StateName] = n + 1
		r.mu.Unlock()
		st, ok := resp.At(n)
		if !ok {
			return nil, failure.Newf(failure.Runtime, "The mocked response '%s' for state '%s' has no entry for invocation %d.", resp.Name, req.StateName, n)
		}
		if st.Throw != nil {
			return nil, &failure.Error{Name: st.Throw.Name, Cause: st.Throw.Cause}
		}
		return append(json.RawMessage(nil), st.Return...), nil
	}), nil
}

// Invocations returns how many times the mocked state has been invoked.
func (r *Resolver) Invocations(state string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[state]
}

func (r *Resolver) passThrough(ctx context.Context, resource string, req states.TaskRequest) (json.RawMessage, error) {
	if r.inner == nil {
		return nil, failure.Newf(failure.Runtime, "No mocked response and no task handler for state '%s' (resource '%s')", req.StateName, resource)
	}
	h, err := r.inner.Resolve(resource)
	if err != nil {
		return nil, err
	}
	return h.Invoke(ctx, req)
}
