package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dashboard"
	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/triggers"
)

// The API's request and answer types (package httpapi).
type (
	PushRequest     = httpapi.PushRequest
	PushResponse    = httpapi.PushResponse
	ReleaseView     = httpapi.ReleaseView
	DecisionRequest = httpapi.DecisionRequest
	RollbackRequest = httpapi.ActionRequest
	RestoreRequest  = httpapi.RestoreRequest
	ReleasePage     = httpapi.ReleasePage
)

// MaxPageSize bounds GET /v1/releases?limit=.
const MaxPageSize = httpapi.MaxPageSize

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

// serveAPI serves the API: the /v1 routes of package httpapi and the
// dashboard behind guard (token, origin, JSON), the built-in hooks (which
// check their own HMAC signature), and the outside endpoints (which verify
// their senders' signatures).
func (s *Stack) serveAPI() {
	api := &httpapi.Server{
		Store: s.store, Decider: s.svc, Promoter: s.svc, Restorer: s.svc,
		Rollback: s, Undo: s, Pusher: s, Retrier: s, Status: s, Events: s,
		Place: "local", Dashboard: dashboard.Handler(), ShowInternalErrors: true, Logger: s.log, Now: s.svc.Now,
	}
	if s.alarms != nil {
		api.Alarms = s.alarms
	}
	root := http.NewServeMux()
	root.Handle("/", s.guard(api.Handler()))
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

func writeJSON(w http.ResponseWriter, code int, v any) { httpapi.WriteJSON(w, code, v) }

func writeError(w http.ResponseWriter, err error) {
	writeJSON(w, httpapi.StatusOf(err), map[string]string{"error": err.Error()})
}

// Artifact is the fleet artifact of a version with a fault: "v3+error-rate=0.2".
func Artifact(version, fault string) string {
	fault = strings.Trim(strings.ReplaceAll(fault, ",", "+"), "+ ")
	if fault == "" {
		return version
	}
	return version + "+" + fault
}

// Push creates a release of a version (a manual trigger) and starts it.
func (s *Stack) Push(ctx context.Context, pipeline string, req PushRequest) (PushResponse, error) {
	if err := httpapi.CheckVersion(req.Version); err != nil {
		return PushResponse{}, err
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
	actor := req.Actor
	if actor == "" {
		actor = "local"
	}
	msg := fmt.Sprintf("pushed %s by %s", req.Version, actor)
	if req.Fault != "" {
		msg += " with fault " + req.Fault
		if req.FaultStage != "" {
			msg += " (only in stage " + req.FaultStage + ")"
		}
	}
	l := triggers.Launcher{Releases: s.store, Starter: starter{s}, Now: s.svc.Now, Logger: s.log}
	out, err := l.Start(ctx, triggers.Request{
		Pipeline: pipeline, SpecVersion: sv.Version, Version: artifact,
		Trigger: release.Trigger{Kind: release.TriggerManual, Key: key, Source: "local", Actor: actor, Time: s.svc.Now()},
		Message: msg,
	})
	if err != nil {
		return PushResponse{}, fmt.Errorf("push to %s: %w", pipeline, err)
	}
	rel := out.Release
	return PushResponse{ReleaseID: rel.ID, Artifact: artifact, Execution: rel.Execution, Created: out.Created()}, nil
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
	for _, part := range fleet.SplitFaults(strings.ReplaceAll(f, ",", "+")) {
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		switch k {
		case "error-rate", "latency", "crash-after":
			if !hasValue || v == "" {
				return release.Errorf(release.ErrInvalid, "fault %q: %s needs a value", f, k)
			}
		case "crash-on-start":
		default:
			return release.Errorf(release.ErrInvalid, "fault %q: unknown fault %q (want error-rate=F, latency=D or +P%%, crash-after=D or crash-on-start)", f, k)
		}
	}
	return nil
}

// DeliverEvent puts an outside event on the local bus (POST /v1/events).
func (s *Stack) DeliverEvent(ctx context.Context, body []byte) (any, error) {
	ds, err := s.bus.Deliver(ctx, body)
	if ds == nil && err != nil {
		return nil, release.Errorf(release.ErrInvalid, "%v", err)
	}
	return map[string]any{"deliveries": ds}, nil
}

// ReleasePage lists up to limit releases of pipeline (of every pipeline
// when empty), newest first, from cursor (httpapi.Page).
func (s *Stack) ReleasePage(ctx context.Context, pipeline string, limit int, cursor string) (ReleasePage, error) {
	return httpapi.Page(ctx, s.store, pipeline, limit, cursor)
}

// Releases lists every release of a pipeline (every pipeline's when
// empty), newest first.
func (s *Stack) Releases(ctx context.Context, pipeline string) ([]release.Release, error) {
	return httpapi.All(ctx, s.store, pipeline)
}

// Release returns a release with its whole event log.
func (s *Stack) Release(ctx context.Context, id string) (ReleaseView, error) {
	return httpapi.View(ctx, s.store, id)
}

// Retry starts a new release of an earlier release's version (with the
// same fault, for a local artifact that had one) on its pipeline.
func (s *Stack) Retry(ctx context.Context, id, actor string) (PushResponse, error) {
	rel, err := s.store.GetRelease(ctx, id)
	if err != nil {
		return PushResponse{}, fmt.Errorf("retry %s: %w", id, err)
	}
	if err := httpapi.Retryable(rel); err != nil {
		return PushResponse{}, err
	}
	version, fault, _ := strings.Cut(rel.Version, "+")
	s.mu.Lock()
	stage := s.scopes[rel.Version]
	s.mu.Unlock()
	return s.Push(ctx, rel.Pipeline, PushRequest{Version: version, Fault: fault, FaultStage: stage, Actor: actor,
		Key: fmt.Sprintf("retry:%s:%d", id, time.Now().UnixNano())})
}

// StatusReport is GET /v1/status.
func (s *Stack) StatusReport(ctx context.Context) (any, error) { return s.Status(ctx) }

// Decide approves or rejects a release's waiting approval (control.Service.Decide).
func (s *Stack) Decide(ctx context.Context, id string, approve bool, d DecisionRequest) error {
	if d.Actor == "" {
		return release.Errorf(release.ErrInvalid, "decide %s: actor is required", id)
	}
	return s.svc.Decide(ctx, control.Decision{ReleaseID: id, Stage: d.Stage, Actor: d.Actor, Approve: approve, Comment: d.Comment})
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
		body, err := io.ReadAll(io.LimitReader(r.Body, 256<<10))
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

// executionName is the release execution's name (as sfn.Starter names it).
func executionName(releaseID string) (string, error) { return sfn.ExecutionName(releaseID) }

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
