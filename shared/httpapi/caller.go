package httpapi

import (
	"context"
	"net/http"
)

// Caller is who a request authenticated as.
type Caller struct {
	// Name is the verified identity: the IAM principal ARN on AWS, "local"
	// (the token holder) on the local stack.
	Name string
	// Label, when set, is whom the request is for (the local stack's
	// X-Shipwave-Actor header): recorded instead of Name.
	Label string
	// Labels says the caller may label requests (the local token holder
	// may; an IAM principal is recorded as itself).
	Labels bool
}

// Actor is the name recorded for the caller's requests.
func (c Caller) Actor() string {
	if c.Labels && c.Label != "" {
		return c.Label
	}
	return c.Name
}

type callerKey struct{}

// WithCaller returns ctx carrying the request's verified caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller WithCaller stored.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok && c.Name != ""
}

// actorFor is the actor recorded for a request: the caller, or (where the
// caller may label requests and the header gave none) the body's actor.
func actorFor(r *http.Request, bodyActor string) string {
	c, _ := CallerFrom(r.Context())
	if c.Labels && c.Label == "" {
		c.Label = clip(bodyActor)
	}
	return c.Actor()
}
