package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/spec"
)

// Releases is what the API reads.
type Releases interface {
	// ListReleases returns ErrInvalid for a bad cursor.
	ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error)
	// GetRelease returns ErrNotFound for an unknown id.
	GetRelease(ctx context.Context, id string) (release.Release, error)
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
}

// Specs stores pipeline specs (*store.Store is one).
type Specs interface {
	// SaveSpec returns ErrInvalid for a missing or mismatched name.
	SaveSpec(ctx context.Context, sv release.SpecVersion) (release.SpecVersion, error)
}

// Schedules keeps a pipeline's EventBridge Scheduler schedules equal to
// its spec's schedule triggers (*scheduler.Syncer is one).
type Schedules interface {
	Sync(ctx context.Context, pipeline string, defs []scheduler.Definition) (scheduler.SyncResult, error)
}

// Decider approves or rejects approval gates (control.Service).
type Decider interface {
	// Decide returns ErrNotFound when nothing waits and ErrUnauthorized for
	// an actor who is not a listed approver.
	Decide(ctx context.Context, d control.Decision) error
}

// API serves the routes:
//
//	GET  /releases?pipeline=P[&limit=N][&cursor=C]
//	GET  /releases/{id}
//	GET  /releases/{id}/events[?after=SEQ]
//	POST /releases/{id}/approve   {"stage": "...", "comment": "..."}
//	POST /releases/{id}/reject    {"stage": "...", "comment": "..."}
//	PUT  /pipelines/{name}/spec   the pipeline spec (YAML) as the body; its
//	                              schedule triggers become Scheduler schedules
//
// The actor of a decision is the caller's IAM principal ARN, as API Gateway
// verified it; approvers in a pipeline spec are listed by that ARN.
type API struct {
	Releases Releases
	Specs    Specs
	// Schedules, when set, is synced after a spec is saved.
	Schedules Schedules
	Decider   Decider
	// RefuseLoadTests, when not empty, is why this stack cannot run load
	// tests (it has no load-test networking): a spec with a loadTest is
	// refused with it, naming each loadTest's line, and nothing is stored.
	RefuseLoadTests string
	Logger          *slog.Logger
}

// partialError is a request whose first part (the spec) took effect and
// whose second (its schedules) did not; it is answered 502 with the
// message, so the caller knows to retry.
type partialError struct{ err error }

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }

// maxSpec bounds a spec's body.
const maxSpec = 256 << 10

// maxBody bounds a decision's body.
const maxBody = 16 << 10

type decisionBody struct {
	Stage   string `json:"stage"`
	Comment string `json:"comment"`
}

// Handle serves one request. Failures are JSON {"error": message} with a
// status from the error's kind; it never returns a Go error, so API Gateway
// always gets an answer.
func (a *API) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method := req.RequestContext.HTTP.Method
	parts := strings.Split(strings.Trim(req.RawPath, "/"), "/")
	if len(parts) >= 2 {
		ctx = observe.WithFields(ctx, observe.Fields{ReleaseID: parts[1]})
	}
	body, err := a.route(ctx, method, parts, req)
	if err != nil {
		return a.fail(ctx, err), nil
	}
	return respond(http.StatusOK, body), nil
}

func (a *API) route(ctx context.Context, method string, parts []string, req events.APIGatewayV2HTTPRequest) (any, error) {
	if len(parts) == 3 && parts[0] == "pipelines" && parts[2] == "spec" && method == http.MethodPut {
		return a.saveSpec(ctx, parts[1], req)
	}
	if len(parts) == 0 || parts[0] != "releases" {
		return nil, release.Errorf(release.ErrNotFound, "no route for %s /%s", method, strings.Join(parts, "/"))
	}
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		pipeline := req.QueryStringParameters["pipeline"]
		if pipeline == "" {
			return nil, release.Errorf(release.ErrInvalid, "query parameter pipeline is required")
		}
		limit := 0
		if s := req.QueryStringParameters["limit"]; s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return nil, release.Errorf(release.ErrInvalid, "query parameter limit: %q is not a positive integer", s)
			}
			limit = n
		}
		rs, next, err := a.Releases.ListReleases(ctx, pipeline, limit, req.QueryStringParameters["cursor"])
		if err != nil {
			return nil, err
		}
		return map[string]any{"releases": nonNil(rs), "cursor": next}, nil
	case len(parts) == 2 && method == http.MethodGet:
		return a.Releases.GetRelease(ctx, parts[1])
	case len(parts) == 3 && parts[2] == "events" && method == http.MethodGet:
		var after int64
		if s := req.QueryStringParameters["after"]; s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return nil, release.Errorf(release.ErrInvalid, "query parameter after: %q is not a sequence number", s)
			}
			after = n
		}
		if _, err := a.Releases.GetRelease(ctx, parts[1]); err != nil {
			return nil, err
		}
		evs, err := a.Releases.Events(ctx, parts[1], after, 0)
		if err != nil {
			return nil, err
		}
		return map[string]any{"events": nonNil(evs)}, nil
	case len(parts) == 3 && (parts[2] == "approve" || parts[2] == "reject") && method == http.MethodPost:
		return a.decide(ctx, parts[1], parts[2] == "approve", req)
	}
	return nil, release.Errorf(release.ErrNotFound, "no route for %s /%s", method, strings.Join(parts, "/"))
}

func (a *API) decide(ctx context.Context, id string, approve bool, req events.APIGatewayV2HTTPRequest) (any, error) {
	actor := ""
	if auth := req.RequestContext.Authorizer; auth != nil && auth.IAM != nil {
		actor = auth.IAM.UserARN
	}
	if actor == "" {
		return nil, release.Errorf(release.ErrUnauthorized, "the request carries no verified IAM principal")
	}
	var b decisionBody
	if req.Body != "" {
		if len(req.Body) > maxBody {
			return nil, release.Errorf(release.ErrInvalid, "body: larger than %d bytes", maxBody)
		}
		dec := json.NewDecoder(strings.NewReader(req.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return nil, release.Errorf(release.ErrInvalid, "body: %v", err)
		}
	}
	if err := a.Decider.Decide(ctx, control.Decision{ReleaseID: id, Stage: b.Stage, Actor: actor, Approve: approve, Comment: b.Comment}); err != nil {
		return nil, err
	}
	decision := "rejected"
	if approve {
		decision = "approved"
	}
	return map[string]string{"releaseId": id, "decision": decision, "actor": actor}, nil
}

// saveSpec validates a spec and stores it as the pipeline's next version.
// A spec with problems is refused with every problem, file:line first, and
// nothing is stored.
func (a *API) saveSpec(ctx context.Context, name string, req events.APIGatewayV2HTTPRequest) (any, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return nil, release.Errorf(release.ErrInvalid, "body: not base64: %v", err)
		}
	}
	if len(body) == 0 || len(body) > maxSpec {
		return nil, release.Errorf(release.ErrInvalid, "body: want a pipeline spec of 1 to %d bytes, got %d", maxSpec, len(body))
	}
	p, err := spec.Parse(name+".yaml", body)
	if err != nil {
		return nil, release.Errorf(release.ErrInvalid, "%v", err)
	}
	if p.Name != name {
		return nil, release.Errorf(release.ErrInvalid, "%s.yaml: pipeline is %q, want %q (the name in the path)", name, p.Name, name)
	}
	if a.RefuseLoadTests != "" {
		if err := spec.RefuseLoadTests(name+".yaml", body, p, a.RefuseLoadTests); err != nil {
			return nil, release.Errorf(release.ErrInvalid, "%v", err)
		}
	}
	defs, err := scheduler.Definitions(p)
	if err != nil {
		return nil, release.Errorf(release.ErrInvalid, "%s.yaml: schedules: %v", name, err)
	}
	sv, err := a.Specs.SaveSpec(ctx, release.SpecVersion{Pipeline: name, Source: body, Parsed: p})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"pipeline": sv.Pipeline, "version": sv.Version}
	if a.Schedules != nil {
		res, err := a.Schedules.Sync(ctx, name, defs)
		if err != nil {
			return nil, &partialError{fmt.Errorf("spec %s saved as version %d, but syncing its schedules failed (PUT it again): %w", name, sv.Version, err)}
		}
		out["schedules"] = map[string][]string{"created": nonNil(res.Created), "updated": nonNil(res.Updated), "deleted": nonNil(res.Deleted)}
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *API) fail(ctx context.Context, err error) events.APIGatewayV2HTTPResponse {
	status := http.StatusInternalServerError
	var partial *partialError
	switch {
	case errors.As(err, &partial):
		return respond(http.StatusBadGateway, map[string]string{"error": err.Error()})
	case errors.Is(err, release.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, release.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, release.ErrUnauthorized):
		status = http.StatusForbidden
	case errors.Is(err, release.ErrConflict), errors.Is(err, release.ErrLocked), errors.Is(err, release.ErrExpired):
		status = http.StatusConflict
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		if a.Logger != nil {
			a.Logger.ErrorContext(ctx, "api request failed", "error", msg)
		}
		msg = "internal error; see the api function's logs"
	}
	return respond(status, map[string]string{"error": msg})
}

func respond(status int, body any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}
