package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Scheduler is a fake EventBridge Scheduler speaking REST-JSON: schedules
// by group and name, created, updated, read, listed (by group and name
// prefix, paginated) and deleted, with the service's error codes
// (ConflictException for a name taken, ResourceNotFoundException for a
// missing schedule or group). The group "default" always exists; others
// are added with AddGroup.
type Scheduler struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server
	// PageSize is the largest page ListSchedules returns; 0 means 100.
	PageSize int

	mu        sync.Mutex
	groups    map[string]bool
	schedules map[string]map[string]map[string]any // group → name → CreateSchedule input
}

// NewScheduler starts a fake EventBridge Scheduler that stops when t ends.
func NewScheduler(t testing.TB) *Scheduler {
	t.Helper()
	s := &Scheduler{groups: map[string]bool{"default": true}, schedules: map[string]map[string]map[string]any{}}
	s.Server = start(t, http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint of the fake.
func (s *Scheduler) URL() string { return s.Server.URL }

// AddGroup creates a schedule group.
func (s *Scheduler) AddGroup(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[name] = true
}

// Schedule returns a copy of a schedule's last Create or Update input.
func (s *Scheduler) Schedule(group, name string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.schedules[group][name]
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(sc))
	for k, v := range sc {
		out[k] = v
	}
	return out, true
}

// Names returns the names of a group's schedules, sorted.
func (s *Scheduler) Names(group string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.schedules[group] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Scheduler) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	params := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &params); err != nil {
			writeRESTError(w, &APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: err.Error()})
			return
		}
	}
	for k, v := range r.URL.Query() {
		if k == "groupName" { // GetSchedule and DeleteSchedule send the group in the query
			k = "GroupName"
		}
		params[k] = v[0]
	}
	name, isItem := strings.CutPrefix(r.URL.Path, "/schedules/")
	if isItem {
		params["Name"] = name
	}
	var op string
	switch {
	case r.URL.Path == "/schedules" && r.Method == http.MethodGet:
		op = "ListSchedules"
	case isItem && r.Method == http.MethodPost:
		op = "CreateSchedule"
	case isItem && r.Method == http.MethodPut:
		op = "UpdateSchedule"
	case isItem && r.Method == http.MethodGet:
		op = "GetSchedule"
	case isItem && r.Method == http.MethodDelete:
		op = "DeleteSchedule"
	default:
		writeRESTError(w, &APIError{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: r.Method + " " + r.URL.Path + " is not faked"})
		return
	}
	if f := s.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeRESTError(w, &APIError{Status: f.Status, Code: f.Code, Message: orDefault(f.Message, "injected fault")})
		return
	}
	out, apiErr := s.do(op, params)
	if apiErr != nil {
		writeRESTError(w, apiErr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Scheduler) do(op string, in map[string]any) (any, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	group, _ := in["GroupName"].(string)
	if op == "ListSchedules" {
		group, _ = in["ScheduleGroup"].(string)
	}
	if group == "" {
		group = "default"
	}
	if !s.groups[group] {
		return nil, &APIError{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Schedule group %s does not exist.", group)}
	}
	name, _ := in["Name"].(string)
	arn := fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", Region, Account, group, name)
	notFound := &APIError{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Schedule %s does not exist.", name)}
	byName := s.schedules[group]
	switch op {
	case "CreateSchedule":
		if _, ok := byName[name]; ok {
			return nil, &APIError{Status: http.StatusConflict, Code: "ConflictException", Message: fmt.Sprintf("Schedule %s already exists.", name)}
		}
		if byName == nil {
			byName = map[string]map[string]any{}
			s.schedules[group] = byName
		}
		in["Arn"] = arn
		byName[name] = in
		return map[string]string{"ScheduleArn": arn}, nil
	case "UpdateSchedule":
		if _, ok := byName[name]; !ok {
			return nil, notFound
		}
		in["Arn"] = arn
		byName[name] = in
		return map[string]string{"ScheduleArn": arn}, nil
	case "GetSchedule":
		sc, ok := byName[name]
		if !ok {
			return nil, notFound
		}
		return sc, nil
	case "DeleteSchedule":
		if _, ok := byName[name]; !ok {
			return nil, notFound
		}
		delete(byName, name)
		return struct{}{}, nil
	}
	// ListSchedules
	prefix, _ := in["NamePrefix"].(string)
	var names []string
	for n := range byName {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start := 0
	if tok, _ := in["NextToken"].(string); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(names) {
			return nil, &APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: "invalid NextToken"}
		}
		start = n
	}
	size := s.PageSize
	if size <= 0 {
		size = 100
	}
	end := min(start+size, len(names))
	page := []map[string]any{}
	for _, n := range names[start:end] {
		sc := byName[n]
		target, _ := sc["Target"].(map[string]any)
		page = append(page, map[string]any{"Name": n, "GroupName": group, "Arn": sc["Arn"], "State": orDefault(str(sc["State"]), "ENABLED"),
			"Target": map[string]any{"Arn": target["Arn"]}})
	}
	out := map[string]any{"Schedules": page}
	if end < len(names) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func str(v any) string { s, _ := v.(string); return s }

// writeRESTError answers a REST-JSON error: the code in X-Amzn-ErrorType and
// the body's Message.
func writeRESTError(w http.ResponseWriter, e *APIError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Message": e.Message})
}
