package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// Router is a Task function that serves several states of the state
// machines, told apart by the "action" their Parameters pass (record,
// shift, bake). Each action has its own input type, holding only what its
// states pass, and its own output type; the Router is the one dispatch
// between them, the same in the local engine and on AWS.
type Router struct {
	function string
	routes   map[string]Route
}

// Route is one action of a Router (see On).
type Route struct {
	action string
	input  reflect.Type
	output reflect.Type
	decode func(json.RawMessage) (any, error)
	run    func(context.Context, any) (any, error)
}

// On routes action to h: the payload, without its "action" key, is decoded
// into h's input type, and h's output is the Task's result.
func On[In, Out any](action string, h func(context.Context, In) (Out, error)) Route {
	return Route{
		action: action,
		input:  reflect.TypeFor[In](),
		output: reflect.TypeFor[Out](),
		decode: func(payload json.RawMessage) (any, error) {
			var in In
			dec := json.NewDecoder(bytes.NewReader(payload))
			dec.DisallowUnknownFields()
			err := dec.Decode(&in)
			return in, err
		},
		run: func(ctx context.Context, in any) (any, error) { return h(ctx, in.(In)) },
	}
}

// NewRouter returns the Router of the named function serving routes.
func NewRouter(function string, routes ...Route) *Router {
	r := &Router{function: function, routes: make(map[string]Route, len(routes))}
	for _, rt := range routes {
		r.routes[rt.action] = rt
	}
	return r
}

// Handle serves one invocation: it reads the payload's action and runs
// that action's handler. An unknown or missing action, a field the
// action's input type does not have, and a field of the wrong type are
// InvalidInput naming it; the handler's errors are returned as they are
// (each handler passes its errors through Boundary).
func (r *Router) Handle(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return nil, &InvalidInput{Message: fmt.Sprintf("%s: the input is not a JSON object: %v", r.function, err)}
	}
	var action string
	if raw, ok := fields["action"]; ok {
		if err := json.Unmarshal(raw, &action); err != nil {
			return nil, &InvalidInput{Message: fmt.Sprintf("%s: action: %v", r.function, err)}
		}
	}
	rt, ok := r.routes[action]
	if !ok {
		return nil, &InvalidInput{Message: fmt.Sprintf("%s: unknown action %q (want one of %v)", r.function, action, r.Actions())}
	}
	delete(fields, "action")
	rest, err := json.Marshal(fields)
	if err != nil {
		return nil, &InvalidInput{Message: fmt.Sprintf("%s %s: %v", r.function, action, err)}
	}
	in, err := rt.decode(rest)
	if err != nil {
		return nil, &InvalidInput{Message: fmt.Sprintf("%s %s: %v", r.function, action, err)}
	}
	out, err := rt.run(ctx, in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, &InvalidInput{Message: fmt.Sprintf("%s %s: encode output: %v", r.function, action, err)}
	}
	return b, nil
}

// Actions returns the actions r serves, sorted.
func (r *Router) Actions() []string {
	out := make([]string, 0, len(r.routes))
	for a := range r.routes {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Input returns the input type of action, for checks of the definitions
// against the handlers.
func (r *Router) Input(action string) (reflect.Type, bool) {
	rt, ok := r.routes[action]
	return rt.input, ok
}

// Output returns the output type of action.
func (r *Router) Output(action string) (reflect.Type, bool) {
	rt, ok := r.routes[action]
	return rt.output, ok
}
