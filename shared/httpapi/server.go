package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// Store is what the API reads (*store.Store is one).
type Store interface {
	ListPipelines(ctx context.Context) ([]string, error)
	// ListReleases returns ErrInvalid for a bad cursor.
	ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error)
	// GetRelease returns ErrNotFound for an unknown id.
	GetRelease(ctx context.Context, id string) (release.Release, error)
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
	GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
	// GetTargetState returns ErrNotFound for a target never deployed.
	GetTargetState(ctx context.Context, target string) (release.TargetState, error)
}

// Decider approves or rejects approval gates (control.Service).
type Decider interface {
	Decide(ctx context.Context, d control.Decision) error
}

// Promoter ends a release's running bakes now (control.Service).
type Promoter interface {
	Promote(ctx context.Context, req control.PromoteRequest) (release.Release, error)
}

// Restorer puts targets back on a known-good version (control.Service).
type Restorer interface {
	Restore(ctx context.Context, req control.RestoreRequest) (release.Release, error)
}

// Rollbacker rolls a running release back through its own failure path:
// control.Service.RequestRollback (see RequestRollback), or the local
// stack's Rollback, which also waits until the release has ended.
type Rollbacker interface {
	Rollback(ctx context.Context, id, actor, reason string) (release.Release, error)
}

// Undoer takes a release back: rolls it back while it runs, restores what
// it settled once it ended.
type Undoer interface {
	Undo(ctx context.Context, id, actor, reason string) (release.Release, error)
}

// Pusher creates and starts a release of a version (a manual trigger).
type Pusher interface {
	Push(ctx context.Context, pipeline string, req PushRequest) (PushResponse, error)
}

// Retrier starts a new release of an earlier release's version on its
// pipeline.
type Retrier interface {
	Retry(ctx context.Context, id, actor string) (PushResponse, error)
}

// SpecPutter validates and stores a pipeline spec (see SpecSaver).
type SpecPutter interface {
	PutSpec(ctx context.Context, pipeline string, body []byte) (any, error)
}

// AlarmStates reads alarms' states (alarms.Source).
type AlarmStates interface {
	States(ctx context.Context, names []string) (map[string]alarms.State, error)
}

// StatusReporter is GET /v1/status: what the place runs (the local stack's
// services and alarms).
type StatusReporter interface {
	StatusReport(ctx context.Context) (any, error)
}

// EventSink takes outside events (the local event bus: POST /v1/events).
type EventSink interface {
	DeliverEvent(ctx context.Context, body []byte) (any, error)
}

// Server is the API. Store is required; every other capability may be nil,
// and its routes then answer 501.
type Server struct {
	Store    Store
	Decider  Decider
	Promoter Promoter
	Rollback Rollbacker
	Undo     Undoer
	Restorer Restorer
	Pusher   Pusher
	Retrier  Retrier
	Specs    SpecPutter
	Alarms   AlarmStates
	Status   StatusReporter
	Events   EventSink
	// Place names where the API runs ("local", "aws") for the dashboard.
	Place string
	// Dashboard, when set, serves every GET outside /v1.
	Dashboard http.Handler
	// ShowInternalErrors puts a 500's message in the answer (the local
	// stack); otherwise it is logged and the answer says to see the logs.
	ShowInternalErrors bool
	Logger             *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// maxRequestBody bounds every request body.
const maxRequestBody = 256 << 10

// Route is one row of the route table.
type Route struct {
	Method, Pattern string
	// Mutates says the route changes state: it needs a caller.
	Mutates bool
	Doc     string
}

// Routes is the route table, in the order the docs list it.
var Routes = []Route{
	{"GET", "/v1/info", false, "where the API runs and who the caller is"},
	{"GET", "/v1/pipelines", false, "every pipeline's view"},
	{"GET", "/v1/pipelines/{pipeline}", false, "a pipeline: stages, waves, targets with live state, releases"},
	{"GET", "/v1/pipelines/{pipeline}/metrics", false, "DORA metrics over ?window= (default 7d)"},
	{"POST", "/v1/pipelines/{pipeline}/push", true, "create and start a release of a version"},
	{"POST", "/v1/pipelines/{pipeline}/restore", true, "break-glass restore of targets to a known-good version"},
	{"PUT", "/v1/pipelines/{pipeline}/spec", true, "store a pipeline spec (YAML body)"},
	{"GET", "/v1/releases", false, "releases newest first: ?pipeline= &limit= &cursor="},
	{"GET", "/v1/releases/{id}", false, "a release and its events"},
	{"GET", "/v1/releases/{id}/events", false, "a release's events after ?after=SEQ"},
	{"POST", "/v1/releases/{id}/approve", true, "approve the waiting approval"},
	{"POST", "/v1/releases/{id}/reject", true, "reject the waiting approval"},
	{"POST", "/v1/releases/{id}/promote", true, "end the running bakes now"},
	{"POST", "/v1/releases/{id}/rollback", true, "roll a running release back"},
	{"POST", "/v1/releases/{id}/undo", true, "roll back, or restore what an ended release settled"},
	{"POST", "/v1/releases/{id}/retry", true, "a new release of the same version"},
	{"GET", "/v1/status", false, "what the place runs"},
	{"POST", "/v1/events", true, "deliver an outside event (local bus)"},
}

// Handler returns the API's handler. The caller must be in each request's
// context (WithCaller) for the routes that change state.
func (s *Server) Handler() http.Handler {
	handlers := map[string]func(w http.ResponseWriter, r *http.Request) (any, error){
		"GET /v1/info":                          s.info,
		"GET /v1/pipelines":                     s.pipelines,
		"GET /v1/pipelines/{pipeline}":          s.pipeline,
		"GET /v1/pipelines/{pipeline}/metrics":  s.metrics,
		"POST /v1/pipelines/{pipeline}/push":    s.push,
		"POST /v1/pipelines/{pipeline}/restore": s.restore,
		"PUT /v1/pipelines/{pipeline}/spec":     s.putSpec,
		"GET /v1/releases":                      s.list,
		"GET /v1/releases/{id}":                 s.get,
		"GET /v1/releases/{id}/events":          s.events,
		"POST /v1/releases/{id}/approve":        s.decide(true),
		"POST /v1/releases/{id}/reject":         s.decide(false),
		"POST /v1/releases/{id}/promote":        s.promote,
		"POST /v1/releases/{id}/rollback":       s.rollback,
		"POST /v1/releases/{id}/undo":           s.undo,
		"POST /v1/releases/{id}/retry":          s.retry,
		"GET /v1/status":                        s.status,
		"POST /v1/events":                       s.event,
	}
	mux := http.NewServeMux()
	for _, rt := range Routes {
		h := handlers[rt.Method+" "+rt.Pattern]
		if h == nil {
			panic("httpapi: route without handler: " + rt.Method + " " + rt.Pattern)
		}
		mutates := rt.Mutates
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
			if mutates {
				if _, ok := CallerFrom(r.Context()); !ok {
					s.writeError(w, r, release.Errorf(release.ErrUnauthorized, "the request carries no verified caller"))
					return
				}
			}
			v, err := h(w, r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if v != nil {
				WriteJSON(w, http.StatusOK, v)
			}
		})
	}
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, release.Errorf(release.ErrNotFound, "no route for %s %s", r.Method, r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/"):
			mux.ServeHTTP(w, r)
		case s.Dashboard != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			s.Dashboard.ServeHTTP(w, r)
		default:
			s.writeError(w, r, release.Errorf(release.ErrNotFound, "no route for %s %s", r.Method, r.URL.Path))
		}
	})
}

// WriteJSON writes v as indented JSON with code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := StatusOf(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		if s.Logger != nil {
			s.Logger.ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "error", msg)
		}
		if !s.ShowInternalErrors {
			msg = "internal error; see the api function's logs"
		}
	}
	WriteJSON(w, code, map[string]string{"error": msg})
}

// decodeBody reads an optional JSON body into v, refusing unknown fields.
func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return release.Errorf(release.ErrInvalid, "request body: %v", err)
	}
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, release.Errorf(release.ErrInvalid, "read request body: %v", err)
	}
	if len(body) > maxRequestBody {
		return nil, release.Errorf(release.ErrInvalid, "request body exceeds %d bytes", maxRequestBody)
	}
	return body, nil
}

func unsupported(what string) error {
	return fmt.Errorf("%s is not available on this stack: %w", what, ErrUnsupported)
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (s *Server) info(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, _ := CallerFrom(r.Context())
	caps := map[string]bool{
		"approve": s.Decider != nil, "promote": s.Promoter != nil, "rollback": s.Rollback != nil,
		"undo": s.Undo != nil, "retry": s.Retrier != nil, "push": s.Pusher != nil, "restore": s.Restorer != nil,
	}
	return map[string]any{"place": s.Place, "caller": c.Actor(), "can": caps}, nil
}

func (s *Server) list(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxPageSize {
			return nil, release.Errorf(release.ErrInvalid, "limit %q: want 1 to %d", clip(l), MaxPageSize)
		}
		limit = n
	}
	return Page(r.Context(), s.Store, q.Get("pipeline"), limit, q.Get("cursor"))
}

func (s *Server) get(_ http.ResponseWriter, r *http.Request) (any, error) {
	return View(r.Context(), s.Store, r.PathValue("id"))
}

func (s *Server) events(_ http.ResponseWriter, r *http.Request) (any, error) {
	var after int64
	if a := r.URL.Query().Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return nil, release.Errorf(release.ErrInvalid, "query parameter after: %q is not a sequence number", clip(a))
		}
		after = n
	}
	id := r.PathValue("id")
	if _, err := s.Store.GetRelease(r.Context(), id); err != nil {
		return nil, err
	}
	evs, err := s.Store.Events(r.Context(), id, after, MaxPageSize)
	if err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []release.Event{}
	}
	return map[string]any{"events": evs}, nil
}

func (s *Server) decide(approve bool) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		if s.Decider == nil {
			return nil, unsupported("approval")
		}
		var req DecisionRequest
		if err := decodeBody(r, &req); err != nil {
			return nil, err
		}
		actor := actorFor(r, req.Actor)
		id := r.PathValue("id")
		if err := s.Decider.Decide(r.Context(), control.Decision{ReleaseID: id, Stage: req.Stage, Actor: actor, Approve: approve, Comment: req.Comment}); err != nil {
			return nil, err
		}
		decision := "rejected"
		if approve {
			decision = "approved"
		}
		return map[string]any{"releaseId": id, "approved": approve, "decision": decision, "actor": actor}, nil
	}
}

func (s *Server) promote(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Promoter == nil {
		return nil, unsupported("promote")
	}
	var req ActionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.Promoter.Promote(r.Context(), control.PromoteRequest{ReleaseID: r.PathValue("id"), Actor: actorFor(r, req.Actor), Reason: req.Reason})
}

func (s *Server) rollback(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Rollback == nil {
		return nil, unsupported("rollback")
	}
	var req ActionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	reason := req.Reason
	if reason == "" {
		reason = "manual rollback requested through the API"
	}
	return s.Rollback.Rollback(r.Context(), r.PathValue("id"), actorFor(r, req.Actor), reason)
}

func (s *Server) undo(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Undo == nil {
		return nil, unsupported("undo")
	}
	var req ActionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	reason := req.Reason
	if reason == "" {
		reason = "undo requested through the API"
	}
	return s.Undo.Undo(r.Context(), r.PathValue("id"), actorFor(r, req.Actor), reason)
}

func (s *Server) retry(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Retrier == nil {
		return nil, unsupported("retry")
	}
	var req ActionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.Retrier.Retry(r.Context(), r.PathValue("id"), actorFor(r, req.Actor))
}

func (s *Server) push(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Pusher == nil {
		return nil, unsupported("push (releases here start from their triggers)")
	}
	var req PushRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	req.Actor = actorFor(r, req.Actor)
	return s.Pusher.Push(r.Context(), r.PathValue("pipeline"), req)
}

func (s *Server) restore(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Restorer == nil {
		return nil, unsupported("restore")
	}
	var req RestoreRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.Restorer.Restore(r.Context(), control.RestoreRequest{
		Pipeline: r.PathValue("pipeline"), Targets: req.Targets, Version: req.Version, Key: req.Key,
		Actor: actorFor(r, req.Actor), Reason: req.Reason,
	})
}

func (s *Server) putSpec(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Specs == nil {
		return nil, unsupported("storing specs through the API")
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return s.Specs.PutSpec(r.Context(), r.PathValue("pipeline"), body)
}

func (s *Server) status(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Status == nil {
		return nil, unsupported("status")
	}
	return s.Status.StatusReport(r.Context())
}

func (s *Server) event(_ http.ResponseWriter, r *http.Request) (any, error) {
	if s.Events == nil {
		return nil, unsupported("the event bus")
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return s.Events.DeliverEvent(r.Context(), body)
}

// RequestRollback is a Rollbacker over control.Service.RequestRollback:
// it asks for the rollback and returns; the release's own failure path
// does the rest.
type RequestRollback struct {
	Service interface {
		RequestRollback(ctx context.Context, req control.RollbackRequest) (release.Release, error)
	}
}

// Rollback requests the rollback.
func (r RequestRollback) Rollback(ctx context.Context, id, actor, reason string) (release.Release, error) {
	return r.Service.RequestRollback(ctx, control.RollbackRequest{ReleaseID: id, Actor: actor, Reason: reason})
}
