package restapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/release"
)

// Ops is what the endpoints call (chatops.Ops).
type Ops interface {
	Deploy(ctx context.Context, actor chatops.Actor, pipeline, version, requestID string) (release.Release, error)
	Status(ctx context.Context, pipeline string) (chatops.Summary, error)
	History(ctx context.Context, pipeline string, n int) ([]release.Release, error)
	Decide(ctx context.Context, actor chatops.Actor, pipeline, releaseID string, approve bool, comment string) (release.Release, error)
	Rollback(ctx context.Context, actor chatops.Actor, pipeline, releaseID, reason string) (release.Release, error)
}

// CallerFromHeader returns a Caller that reads the authenticated identity
// from header (httpapi.HeaderCaller on AWS), as source "api".
func CallerFromHeader(header string) func(*http.Request) (chatops.Actor, error) {
	return func(r *http.Request) (chatops.Actor, error) {
		v := r.Header.Get(header)
		if v == "" {
			return chatops.Actor{}, release.Errorf(release.ErrUnauthorized, "no authenticated caller")
		}
		return chatops.Actor{Names: []string{v}, Source: "api"}, nil
	}
}

// Handler serves the endpoints:
//
//	GET  /pipelines/{pipeline}/status
//	GET  /pipelines/{pipeline}/releases?limit=N
//	POST /pipelines/{pipeline}/deploy    {"version", "requestId"}
//	POST /pipelines/{pipeline}/approve   {"releaseId"?, "comment"?}
//	POST /pipelines/{pipeline}/reject    {"releaseId"?, "comment"?}
//	POST /pipelines/{pipeline}/rollback  {"releaseId"?, "reason"?}
//
// Ops and Caller are required; Logger defaults to discarding.
type Handler struct {
	Ops    Ops
	Caller func(*http.Request) (chatops.Actor, error)
	Logger *slog.Logger
}

// Request is the body of the POST endpoints; unknown fields are refused.
type Request struct {
	Version   string `json:"version,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	ReleaseID string `json:"releaseId,omitempty"`
	Comment   string `json:"comment,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// DecodeRequest reads a POST body (at most 64 KiB of one JSON object).
// Problems are release.ErrInvalid.
func DecodeRequest(body []byte) (Request, error) {
	var req Request
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Request{}, release.Errorf(release.ErrInvalid, "request body: %v", err)
	}
	if dec.More() {
		return Request{}, release.Errorf(release.ErrInvalid, "request body: trailing data after the JSON object")
	}
	for name, v := range map[string]string{"version": req.Version, "requestId": req.RequestID, "releaseId": req.ReleaseID} {
		if len(v) > 256 {
			return Request{}, release.Errorf(release.ErrInvalid, "request body: %s longer than 256 bytes", name)
		}
	}
	return req, nil
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pipelines/{pipeline}/status", h.status)
	mux.HandleFunc("GET /pipelines/{pipeline}/releases", h.history)
	mux.HandleFunc("POST /pipelines/{pipeline}/{action}", h.act)
	mux.ServeHTTP(w, r)
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.caller(w, r); !ok {
		return
	}
	s, err := h.Ops.Status(r.Context(), r.PathValue("pipeline"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, map[string]any{"pipeline": s.Pipeline, "latest": s.Latest, "lastEvent": s.LastEvent, "waiting": s.Waiting})
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.caller(w, r); !ok {
		return
	}
	n := 10
	if v := r.URL.Query().Get("limit"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 100 {
			h.fail(w, r, release.Errorf(release.ErrInvalid, "limit must be 1 to 100, got %q", v))
			return
		}
	}
	rels, err := h.Ops.History(r.Context(), r.PathValue("pipeline"), n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rels == nil {
		rels = []release.Release{}
	}
	reply(w, http.StatusOK, map[string]any{"releases": rels})
}

func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	actor, ok := h.caller(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		h.fail(w, r, release.Errorf(release.ErrInvalid, "request body too large or unreadable"))
		return
	}
	req, err := DecodeRequest(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, pipeline := r.Context(), r.PathValue("pipeline")
	var rel release.Release
	status := http.StatusOK
	switch action := r.PathValue("action"); action {
	case "deploy":
		rel, err = h.Ops.Deploy(ctx, actor, pipeline, req.Version, req.RequestID)
		status = http.StatusAccepted
	case "approve", "reject":
		rel, err = h.Ops.Decide(ctx, actor, pipeline, req.ReleaseID, action == "approve", req.Comment)
	case "rollback":
		rel, err = h.Ops.Rollback(ctx, actor, pipeline, req.ReleaseID, req.Reason)
		status = http.StatusAccepted
	default:
		reply(w, http.StatusNotFound, map[string]string{"error": "unknown action " + strconv.Quote(action)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.logger().InfoContext(ctx, "api request done", "pipeline", pipeline, "action", r.PathValue("action"), "actor", actor.String(), "releaseId", rel.ID)
	reply(w, status, map[string]any{"release": rel})
}

func (h *Handler) caller(w http.ResponseWriter, r *http.Request) (chatops.Actor, bool) {
	a, err := h.Caller(r)
	if err != nil {
		h.logger().WarnContext(r.Context(), "api request refused", "path", r.URL.Path, "error", err)
		reply(w, http.StatusUnauthorized, map[string]string{"error": err.Error(), "kind": "unauthenticated"})
		return chatops.Actor{}, false
	}
	return a, true
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, kind := http.StatusInternalServerError, "internal"
	switch {
	case errors.Is(err, release.ErrUnauthorized):
		status, kind = http.StatusForbidden, "forbidden"
	case errors.Is(err, release.ErrNotFound):
		status, kind = http.StatusNotFound, "not_found"
	case errors.Is(err, release.ErrInvalid):
		status, kind = http.StatusBadRequest, "invalid"
	case errors.Is(err, release.ErrConflict):
		status, kind = http.StatusConflict, "conflict"
	}
	h.logger().WarnContext(r.Context(), "api request failed", "path", r.URL.Path, "status", status, "error", err)
	reply(w, status, map[string]string{"error": err.Error(), "kind": kind})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
