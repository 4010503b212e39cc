package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/sfnstart"
	"github.com/shipwave/shipwave/shared/traffic"
)

// maxRequestBody bounds every API request body.
const maxRequestBody = 256 << 10

// PushRequest is the body of POST /v1/pipelines/{p}/push.
type PushRequest struct {
	Version string `json:"version"`
	// Fault makes the version misbehave: "error-rate=0.2", "latency=300ms",
	// "crash-on-start", several joined with "+" or ",".
	Fault string `json:"fault,omitempty"`
	// FaultStage limits the fault to the targets of one stage (for example
	// "prod": a regression that only production traffic shows).
	FaultStage string `json:"faultStage,omitempty"`
	// Key identifies the push; the same key again creates no second release.
	Key   string `json:"key,omitempty"`
	Actor string `json:"actor,omitempty"`
}

// PushResponse says which release a push created (or found).
type PushResponse struct {
	ReleaseID string `json:"releaseId"`
	Artifact  string `json:"artifact"`
	Execution string `json:"execution"`
	Created   bool   `json:"created"`
	// NoOp says nothing was created: every target already serves the
	// version as its known-good one (Reason says so).
	NoOp   bool   `json:"noop,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ReleaseView is a release with its event log.
type ReleaseView struct {
	Release release.Release `json:"release"`
	Events  []release.Event `json:"events"`
}

// DecisionRequest is the body of approve and reject.
type DecisionRequest struct {
	Actor   string `json:"actor"`
	Comment string `json:"comment,omitempty"`
	Stage   string `json:"stage,omitempty"`
}

// ServiceStatus is one local service in GET /v1/status.
type ServiceStatus struct {
	Name      string        `json:"name"`
	Target    string        `json:"target"`
	Pipeline  string        `json:"pipeline"`
	Stage     string        `json:"stage"`
	Wave      string        `json:"wave"`
	Endpoint  string        `json:"endpoint"`
	Instances int           `json:"instances"`
	Route     traffic.Split `json:"route"`
	Error     string        `json:"error,omitempty"`
}

// Status is GET /v1/status: what every service serves and the alarms.
type Status struct {
	Services []ServiceStatus         `json:"services"`
	Alarms   map[string]alarms.State `json:"alarms"`
}

// serveAPI serves the API: the /v1 routes behind guard (token, origin,
// JSON), the built-in hooks (which check their own HMAC signature), and the
// outside endpoints (which verify their senders' signatures).
func (s *Stack) serveAPI() {
	mux := http.NewServeMux() // the /v1 routes, behind guard
	mux.HandleFunc("POST /v1/pipelines/{pipeline}/push", s.handlePush)
	mux.HandleFunc("POST /v1/events", s.handleEvent)
	mux.HandleFunc("GET /v1/releases", s.handleList)
	mux.HandleFunc("GET /v1/releases/{id}", s.handleGet)
	mux.HandleFunc("POST /v1/releases/{id}/approve", s.handleDecide(true))
	mux.HandleFunc("POST /v1/releases/{id}/reject", s.handleDecide(false))
	mux.HandleFunc("POST /v1/releases/{id}/rollback", s.handleRollback)
	mux.HandleFunc("POST /v1/releases/{id}/undo", s.handleUndo)
	mux.HandleFunc("POST /v1/pipelines/{pipeline}/restore", s.handleRestore)
	mux.HandleFunc("GET /v1/status", s.handleStatus)
	root := http.NewServeMux()
	root.Handle("/v1/", s.guard(mux))
	root.HandleFunc("POST /hooks/smoke", s.handleHook("smoke"))
	root.HandleFunc("POST /hooks/verify", s.handleHook("verify"))
	root.HandleFunc("POST /hooks/hang", s.handleHook("hang"))
	root.HandleFunc("POST /hooks/fail", s.handleHook("fail"))
	s.mountOutside(root)
	s.apiSrv = &http.Server{Handler: root, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.apiSrv.Serve(s.apiLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("local API stopped", "error", err)
		}
	}()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, release.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, release.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, release.ErrConflict), errors.Is(err, release.ErrLocked):
		code = http.StatusConflict
	case errors.Is(err, release.ErrUnauthorized):
		code = http.StatusForbidden
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return release.Errorf(release.ErrInvalid, "read request body: %v", err)
	}
	if len(body) > maxRequestBody {
		return release.Errorf(release.ErrInvalid, "request body exceeds %d bytes", maxRequestBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return release.Errorf(release.ErrInvalid, "request body: %v", err)
	}
	return nil
}

// Artifact is the fleet artifact of a version with a fault: "v3+error-rate=0.2".
func Artifact(version, fault string) string {
	fault = strings.Trim(strings.ReplaceAll(fault, ",", "+"), "+ ")
	if fault == "" {
		return version
	}
	return version + "+" + fault
}

func (s *Stack) handlePush(w http.ResponseWriter, r *http.Request) {
	var req PushRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	req.Actor = actorFor(r, req.Actor)
	if req.Actor == "" {
		writeError(w, errUnauthenticated)
		return
	}
	res, err := s.Push(r.Context(), r.PathValue("pipeline"), req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// Push creates a release of a version (a manual trigger) and starts it.
func (s *Stack) Push(ctx context.Context, pipeline string, req PushRequest) (PushResponse, error) {
	if req.Version == "" || strings.ContainsAny(req.Version, "+ \t\n/") {
		return PushResponse{}, release.Errorf(release.ErrInvalid, "push: version %q must be non-empty, without '+', '/' or spaces", req.Version)
	}
	if err := checkFault(req.Fault); err != nil {
		return PushResponse{}, err
	}
	if _, err := fleet.ParseArtifact(Artifact(req.Version, req.Fault)); err != nil {
		return PushResponse{}, release.Errorf(release.ErrInvalid, "push: %v", err)
	}
	sv, err := s.store.GetSpec(ctx, pipeline, 0)
	if err != nil {
		return PushResponse{}, fmt.Errorf("push to %s: %w", pipeline, err)
	}
	if req.FaultStage != "" && !hasStage(sv.Parsed, req.FaultStage) {
		return PushResponse{}, release.Errorf(release.ErrInvalid, "push: faultStage %q is not a stage of %s", req.FaultStage, pipeline)
	}
	artifact := Artifact(req.Version, req.Fault)
	if reason, noop := s.alreadyServes(ctx, sv.Parsed, artifact); noop {
		return PushResponse{NoOp: true, Reason: reason}, nil
	}
	if req.FaultStage != "" && req.Fault != "" {
		s.mu.Lock()
		s.scopes[artifact] = req.FaultStage
		s.mu.Unlock()
	}
	key := req.Key
	if key == "" {
		key = fmt.Sprintf("manual:%s:%s:%d", pipeline, artifact, time.Now().UnixNano())
	}
	now := s.svc.Now()
	actor := req.Actor
	if actor == "" {
		actor = "local"
	}
	rel, created, err := s.store.CreateRelease(ctx, release.Release{
		Pipeline: pipeline, SpecVersion: sv.Version, Version: artifact, Status: release.StatusPending,
		Trigger:   release.Trigger{Kind: release.TriggerManual, Key: key, Source: "local", Actor: actor, Time: now},
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return PushResponse{}, fmt.Errorf("push to %s: %w", pipeline, err)
	}
	if created {
		msg := fmt.Sprintf("pushed %s by %s", req.Version, actor)
		if req.Fault != "" {
			msg += " with fault " + req.Fault
			if req.FaultStage != "" {
				msg += " (only in stage " + req.FaultStage + ")"
			}
		}
		if _, err := s.store.AppendEvent(ctx, release.Event{ReleaseID: rel.ID, Time: now, Type: release.EventCreated, Message: msg}); err != nil {
			return PushResponse{}, fmt.Errorf("push to %s: %w", pipeline, err)
		}
	}
	arn, err := s.startRelease(ctx, rel)
	if err != nil {
		return PushResponse{}, err
	}
	if err := s.store.SetExecution(ctx, rel.ID, arn); err != nil {
		return PushResponse{}, fmt.Errorf("push to %s: %w", pipeline, err)
	}
	return PushResponse{ReleaseID: rel.ID, Artifact: artifact, Execution: arn, Created: created}, nil
}

func hasStage(p release.Pipeline, name string) bool {
	for _, st := range p.Stages {
		if st.Name == name {
			return true
		}
	}
	return false
}

// checkFault validates a fault description.
func checkFault(f string) error {
	if f == "" {
		return nil
	}
	for _, part := range strings.FieldsFunc(f, func(r rune) bool { return r == '+' || r == ',' }) {
		k, v, hasValue := strings.Cut(part, "=")
		switch k {
		case "error-rate", "latency", "crash-after":
			if !hasValue || v == "" {
				return release.Errorf(release.ErrInvalid, "fault %q: %s needs a value", f, k)
			}
		case "crash-on-start":
		default:
			return release.Errorf(release.ErrInvalid, "fault %q: unknown fault %q (want error-rate=F, latency=D, crash-after=D or crash-on-start)", f, k)
		}
	}
	return nil
}

func (s *Stack) handleEvent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		writeError(w, release.Errorf(release.ErrInvalid, "read event: %v", err))
		return
	}
	ds, err := s.bus.Deliver(r.Context(), body)
	if ds == nil && err != nil {
		writeError(w, release.Errorf(release.ErrInvalid, "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

// ReleasePage is GET /v1/releases: a page of releases, newest first, and
// the cursor of the next page ("" on the last).
type ReleasePage struct {
	Releases   []release.Release `json:"releases"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// MaxPageSize bounds GET /v1/releases?limit=.
const MaxPageSize = 500

func (s *Stack) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxPageSize {
			writeError(w, release.Errorf(release.ErrInvalid, "limit %q: want 1 to %d", clipHeader(l), MaxPageSize))
			return
		}
		limit = n
	}
	page, err := s.ReleasePage(r.Context(), q.Get("pipeline"), limit, q.Get("cursor"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// pageCursor is where the next page of a listing starts: a pipeline and
// the store's cursor within it.
type pageCursor struct {
	Pipeline string `json:"p"`
	Store    string `json:"c,omitempty"`
}

// ReleasePage lists up to limit releases of pipeline (of every pipeline,
// one after the other in name order, when empty), each pipeline's newest
// first, starting at cursor; the answer's NextCursor continues it.
func (s *Stack) ReleasePage(ctx context.Context, pipeline string, limit int, cursor string) (ReleasePage, error) {
	names := []string{pipeline}
	if pipeline == "" {
		var err error
		if names, err = s.store.ListPipelines(ctx); err != nil {
			return ReleasePage{}, err
		}
		sort.Strings(names)
	}
	var at pageCursor
	start := 0
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			err = json.Unmarshal(raw, &at)
		}
		if err != nil || at.Pipeline == "" {
			return ReleasePage{}, release.Errorf(release.ErrInvalid, "cursor %q was not issued by this API", clipHeader(cursor))
		}
		start = sort.SearchStrings(names, at.Pipeline)
		if pipeline != "" {
			start = 0
			if at.Pipeline != pipeline {
				return ReleasePage{}, release.Errorf(release.ErrInvalid, "cursor belongs to pipeline %s, not %s", at.Pipeline, pipeline)
			}
		}
	}
	page := ReleasePage{Releases: []release.Release{}}
	for i := start; i < len(names); i++ {
		storeCursor := ""
		if i == start && at.Pipeline == names[i] {
			storeCursor = at.Store
		}
		for {
			rs, next, err := s.store.ListReleases(ctx, names[i], limit-len(page.Releases), storeCursor)
			if err != nil {
				return ReleasePage{}, fmt.Errorf("list releases of %s: %w", names[i], err)
			}
			page.Releases = append(page.Releases, rs...)
			if len(page.Releases) >= limit {
				switch {
				case next != "":
					page.NextCursor = encodeCursor(pageCursor{Pipeline: names[i], Store: next})
				case i+1 < len(names):
					page.NextCursor = encodeCursor(pageCursor{Pipeline: names[i+1]})
				}
				return page, nil
			}
			if next == "" {
				break
			}
			storeCursor = next
		}
	}
	return page, nil
}

func encodeCursor(c pageCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Releases lists every release of a pipeline (every pipeline's when
// empty), newest first, following the pages to the end.
func (s *Stack) Releases(ctx context.Context, pipeline string) ([]release.Release, error) {
	out := []release.Release{}
	cursor := ""
	for {
		page, err := s.ReleasePage(ctx, pipeline, MaxPageSize, cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Releases...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (s *Stack) handleGet(w http.ResponseWriter, r *http.Request) {
	v, err := s.Release(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// Release returns a release with its whole event log.
func (s *Stack) Release(ctx context.Context, id string) (ReleaseView, error) {
	rel, err := s.store.GetRelease(ctx, id)
	if err != nil {
		return ReleaseView{}, err
	}
	v := ReleaseView{Release: rel, Events: []release.Event{}}
	var after int64
	for {
		evs, err := s.store.Events(ctx, id, after, 500)
		if err != nil {
			return ReleaseView{}, err
		}
		v.Events = append(v.Events, evs...)
		if len(evs) < 500 {
			return v, nil
		}
		after = evs[len(evs)-1].Seq
	}
}

func (s *Stack) handleDecide(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req DecisionRequest
		if err := decodeBody(r, &req); err != nil {
			writeError(w, err)
			return
		}
		// The token holder decides; the actor is a label for the record.
		req.Actor = actorFor(r, req.Actor)
		if req.Actor == "" {
			writeError(w, errUnauthenticated)
			return
		}
		if err := s.Decide(r.Context(), r.PathValue("id"), approve, req); err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"approved": approve})
	}
}

// Decide approves or rejects a release's waiting approval (control.Service.Decide).
func (s *Stack) Decide(ctx context.Context, id string, approve bool, d DecisionRequest) error {
	if d.Actor == "" {
		return release.Errorf(release.ErrInvalid, "decide %s: actor is required", id)
	}
	return s.svc.Decide(ctx, control.Decision{ReleaseID: id, Stage: d.Stage, Actor: d.Actor, Approve: approve, Comment: d.Comment})
}

func (s *Stack) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.Status(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// Status reports every service's live route and every alarm's state.
func (s *Stack) Status(ctx context.Context) (Status, error) {
	s.mu.Lock()
	svcs := make([]*service, 0, len(s.services))
	for _, sv := range s.services {
		svcs = append(svcs, sv)
	}
	var names []string
	seen := map[string]bool{}
	for _, p := range s.pipelines {
		for _, a := range pipelineAlarms(p) {
			if !seen[a] {
				seen[a] = true
				names = append(names, a)
			}
		}
	}
	s.mu.Unlock()
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Name < svcs[j].Name })
	st := Status{Services: []ServiceStatus{}, Alarms: map[string]alarms.State{}}
	for _, sv := range svcs {
		ss := ServiceStatus{Name: sv.Name, Target: sv.Target, Pipeline: sv.Pipeline, Stage: sv.Stage, Wave: sv.Wave, Endpoint: sv.Endpoint, Instances: sv.Instances}
		route, err := s.fleet.Route(ctx, sv.Name)
		if err != nil {
			ss.Error = err.Error()
		}
		ss.Route = route
		st.Services = append(st.Services, ss)
	}
	sort.Strings(names)
	if len(names) > 0 && s.alarms != nil {
		states, err := s.alarms.States(ctx, names)
		if err != nil {
			return st, fmt.Errorf("alarm states: %w", err)
		}
		st.Alarms = states
	}
	return st, nil
}

// pipelineAlarms lists every alarm a pipeline watches.
func pipelineAlarms(p release.Pipeline) []string {
	seen := map[string]bool{}
	var out []string
	add := func(list []string) {
		for _, a := range list {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	add(p.Alarms)
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			add(w.Alarms)
			for _, t := range w.Targets {
				add(t.Alarms)
			}
		}
	}
	return out
}

// handleHook serves the built-in HTTP hooks: smoke (pre-traffic: each of
// the candidate's instances answers /healthz, when the fleet can list them;
// else the proxy does), verify (post-traffic: the proxy answers /healthz), hang (never answers: for hook timeouts) and fail.
func (s *Stack) handleHook(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
		if err != nil {
			writeError(w, release.Errorf(release.ErrInvalid, "read hook: %v", err))
			return
		}
		if err := hooks.Verify(s.hookKey, r.Header.Get(hooks.HeaderTimestamp), body, r.Header.Get(hooks.HeaderSignature), time.Now(), 5*time.Minute); err != nil {
			writeError(w, err)
			return
		}
		var inv hooks.Invocation
		if err := json.Unmarshal(body, &inv); err != nil {
			writeError(w, release.Errorf(release.ErrInvalid, "hook invocation: %v", err))
			return
		}
		switch kind {
		case "hang":
			<-r.Context().Done()
			return
		case "fail":
			writeJSON(w, http.StatusOK, map[string]string{"status": "Failed", "reason": "the fail hook always fails"})
			return
		}
		s.mu.Lock()
		sv, ok := s.byTarget[inv.Target]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusOK, map[string]string{"status": "Failed", "reason": "target " + inv.Target + " is not a local service"})
			return
		}
		urls := []string{sv.Endpoint + "/healthz"}
		if lister, ok := s.fleet.(instanceLister); ok && kind == "smoke" {
			// Before traffic moves, probe the candidate's own instances.
			urls = nil
			for _, addr := range lister.Instances(sv.Name, inv.Candidate) {
				urls = append(urls, "http://"+addr+"/healthz")
			}
			if len(urls) == 0 {
				writeJSON(w, http.StatusOK, map[string]string{"status": "Failed", "reason": fmt.Sprintf("no running instance of %s on %s", inv.Candidate, sv.Name)})
				return
			}
		}
		for _, u := range urls {
			if reason := probe(r.Context(), u, 3); reason != "" {
				writeJSON(w, http.StatusOK, map[string]string{"status": "Failed", "reason": reason})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "Succeeded"})
	}
}

// instanceLister is a fleet that can name a version's instances.
type instanceLister interface {
	Instances(service, version string) []string
}

// probe sends n GETs to url and returns why they did not all answer 200,
// or "".
func probe(ctx context.Context, url string, n int) string {
	client := &http.Client{Timeout: 2 * time.Second}
	for i := range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err.Error()
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Sprintf("probe %d of %d: %v", i+1, n, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Sprintf("probe %d of %d: GET %s answered %d", i+1, n, url, resp.StatusCode)
		}
	}
	return ""
}

// executionName is the release execution's name (as sfnstart names it).
func executionName(releaseID string) (string, error) { return sfnstart.ExecutionName(releaseID) }

// HasPreTrafficHook reports whether a pipeline's latest spec has a
// pre-traffic hook anywhere.
func (s *Stack) HasPreTrafficHook(pipeline string) bool {
	s.mu.Lock()
	p, ok := s.pipelines[pipeline]
	s.mu.Unlock()
	if !ok {
		return false
	}
	if p.Hooks.PreTraffic != nil {
		return true
	}
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			if w.Hooks.PreTraffic != nil {
				return true
			}
		}
	}
	return false
}
