package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// Matcher decides whether an EventBridge event (its JSON) matches a rule's
// event pattern.
type Matcher interface {
	Match(event []byte) bool
}

// Route is one rule of the bus: events matching Pattern go to Handle, the
// in-process stand-in of the rule's target function.
type Route struct {
	Rule    string
	Target  string
	Pattern Matcher
	Handle  func(ctx context.Context, event json.RawMessage) (any, error)
}

// Delivery is what one route did with one event.
type Delivery struct {
	Rule   string `json:"rule"`
	Target string `json:"target"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Bus is the local EventBridge: it hands every event to each route whose
// pattern matches it. The zero value routes nothing.
type Bus struct {
	log    *slog.Logger
	mu     sync.RWMutex
	routes []Route
	wg     sync.WaitGroup
}

// NewBus returns a bus with routes.
func NewBus(log *slog.Logger, routes ...Route) *Bus {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bus{log: log, routes: routes}
}

// SetRoutes replaces the bus's routes.
func (b *Bus) SetRoutes(routes ...Route) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.routes = append([]Route(nil), routes...)
}

// Deliver routes event synchronously and reports what every matching route
// did. An event that is not a JSON object is an error; an event no rule
// matches yields no deliveries and no error.
func (b *Bus) Deliver(ctx context.Context, event []byte) ([]Delivery, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(event, &probe); err != nil {
		return nil, fmt.Errorf("event bus: event is not a JSON object: %w", err)
	}
	b.mu.RLock()
	routes := append([]Route(nil), b.routes...)
	b.mu.RUnlock()
	out := []Delivery{}
	var errs []error
	for _, r := range routes {
		if !r.Pattern.Match(event) {
			continue
		}
		d := Delivery{Rule: r.Rule, Target: r.Target}
		res, err := r.Handle(ctx, event)
		d.Result = res
		if err != nil {
			d.Error = err.Error()
			errs = append(errs, fmt.Errorf("rule %s → %s: %w", r.Rule, r.Target, err))
			b.log.ErrorContext(ctx, "event delivery failed", "rule", r.Rule, "target", r.Target, "error", err)
		} else {
			b.log.DebugContext(ctx, "event delivered", "rule", r.Rule, "target", r.Target)
		}
		out = append(out, d)
	}
	return out, errors.Join(errs...)
}

// Publish routes event in the background, as EventBridge delivers
// asynchronously; failures are logged. Wait waits for every published event.
func (b *Bus) Publish(ctx context.Context, event []byte) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		_, _ = b.Deliver(context.WithoutCancel(ctx), event)
	}()
}

// Wait blocks until every event published so far has been delivered.
func (b *Bus) Wait() { b.wg.Wait() }
