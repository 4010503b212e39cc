package controlengine_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/controlengine"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/statemachines"
)

func handlers() controlengine.Handlers {
	return controlengine.Handlers{Service: &control.Service{}, LoadTestAggregate: (&loadtest.Aggregator{}).Handle}
}

// TestFunctionsArePlaceholders: the functions are exactly the
// …FunctionArn placeholders of statemachines/*.asl.json, each once.
func TestFunctionsArePlaceholders(t *testing.T) {
	var want []string
	for _, name := range statemachines.All() {
		def, err := statemachines.Raw(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range statemachines.Placeholders(def) {
			if strings.HasSuffix(p, "FunctionArn") && !slices.Contains(want, p) {
				want = append(want, p)
			}
		}
	}
	var got, names []string
	for _, f := range controlengine.Functions(handlers()) {
		got = append(got, f.Placeholder)
		names = append(names, f.Name)
		if f.Handler == nil {
			t.Errorf("%s has no handler", f.Placeholder)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("functions serve %v; the definitions call %v", got, want)
	}
	slices.Sort(names)
	if len(slices.Compact(names)) != len(got) {
		t.Errorf("function names %v are not one per function", names)
	}
}

// TestNewRequires: an engine without a Service or an aggregator is an
// error, not a nil handler at run time.
func TestNewRequires(t *testing.T) {
	for name, h := range map[string]controlengine.Handlers{
		"no service":    {LoadTestAggregate: handlers().LoadTestAggregate},
		"no aggregator": {Service: &control.Service{}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := controlengine.New(states.Options{}, h); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

// TestWrap: Wrap sees every function by name, the handler's error comes
// back to it as it is (errors.As finds the Router's *InvalidInput), and
// what the wrapper returns is what the Task sees.
func TestWrap(t *testing.T) {
	var seen []string
	var invalid *control.InvalidInput
	h := handlers()
	h.Wrap = func(function string, next controlengine.Invoke) controlengine.Invoke {
		seen = append(seen, function)
		if function != "record" {
			return next
		}
		return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
			out, err := next(ctx, payload)
			if !errors.As(err, &invalid) {
				return out, err
			}
			return json.RawMessage(`{"wrapped":true}`), nil
		}
	}
	e, err := controlengine.New(states.Options{Clock: states.NewVirtualClock(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))}, h)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range controlengine.Functions(h) {
		want = append(want, f.Name)
	}
	slices.Sort(seen)
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Errorf("Wrap saw %v, want every function %v", seen, want)
	}
	sm, err := states.Parse([]byte(`{"StartAt":"R","States":{"R":{"Type":"Task",
		"Resource":"arn:aws:lambda:us-east-1:123456789012:function:shipwave-record",
		"Parameters":{"action":"no-such-action"},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.Start(context.Background(), sm, states.StartInput{Name: "wrap", Input: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "SUCCEEDED" || string(res.Output) != `{"wrapped":true}` || invalid == nil {
		t.Errorf("execution %s %s (%s %s), handler error %v; want the wrapper's result after the Router's InvalidInput", res.Status, res.Output, res.Error, res.Cause, invalid)
	}
}
