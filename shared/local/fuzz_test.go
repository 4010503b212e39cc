package local

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/rules"
)

// FuzzCheckFault: a fault string from a push either is rejected or has only
// known faults, and its artifact parses back to the version.
func FuzzCheckFault(f *testing.F) {
	for _, s := range []string{"", "error-rate=0.2", "latency=300ms+error-rate=0.1", "crash-on-start", "crash-after=2s", "melt=1", "error-rate", "+,+", "latency=,x", "latency=+40%", "latency=+40%+error-rate=0.01", "latency=+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fault string) {
		if err := checkFault(fault); err != nil {
			return
		}
		art := Artifact("v9", fault)
		version, rest, _ := strings.Cut(art, "+")
		if version != "v9" {
			t.Fatalf("Artifact(v9, %q) = %q: version lost", fault, art)
		}
		for _, part := range fleet.SplitFaults(rest) {
			if part == "" {
				continue
			}
			k, _, _ := strings.Cut(part, "=")
			switch k {
			case "error-rate", "latency", "crash-after", "crash-on-start":
			default:
				t.Fatalf("fault %q accepted with unknown part %q", fault, part)
			}
		}
	})
}

// FuzzBusDeliver: any bytes on the bus are either refused as not JSON or
// routed to exactly the rules whose patterns match them.
func FuzzBusDeliver(f *testing.F) {
	// Seeds are the samples, compacted: the fuzzer minimizes every new
	// input it finds (up to a minute each, runs the exec counter does not
	// show), and indented kilobyte seeds made that eat the whole budget.
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil {
			f.Add(buf.Bytes())
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	all, err := rules.All()
	if err != nil {
		f.Fatal(err)
	}
	// One bus for every exec: building it is the expensive part, and an
	// exec must stay cheap for the fuzzer to run thousands.
	var got []string
	var routes []Route
	for _, r := range all {
		routes = append(routes, Route{Rule: r.Name, Target: r.Target, Pattern: r, Handle: func(context.Context, json.RawMessage) (any, error) {
			got = append(got, r.Name)
			return nil, nil
		}})
	}
	bus := NewBus(nil, routes...)
	f.Fuzz(func(t *testing.T, event []byte) {
		got = got[:0]
		ds, err := bus.Deliver(context.Background(), event)
		var obj map[string]json.RawMessage
		if json.Unmarshal(event, &obj) != nil {
			if err == nil {
				t.Fatalf("non-object %q delivered: %+v", event, ds)
			}
			return
		}
		var want []string
		for _, r := range all {
			if r.Match(event) {
				want = append(want, r.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || len(ds) != len(want) {
			t.Fatalf("routed to %v (deliveries %d), want %v", got, len(ds), want)
		}
	})
}

// FuzzAPIGuard: the guard's parsing of outside headers (Origin,
// Sec-Fetch-Site, Authorization, Content-Type) and the release cursor
// never panic, and nothing passes without the token.
func FuzzAPIGuard(f *testing.F) {
	f.Add("http://127.0.0.1:8081", "", "Bearer tok", "application/json", "")
	f.Add("null", "cross-site", "Bearer x", "text/plain", "eyJwIjoic2hvcCJ9")
	f.Add("", "", "", "application/json; charset=utf-8", "%%%")
	s := &Stack{token: "tok"}
	reached := false
	h := s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	f.Fuzz(func(t *testing.T, origin, site, authz, ctype, cursor string) {
		reached = false
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8081/v1/events", nil)
		for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": site, "Authorization": authz, "Content-Type": ctype} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if reached && strings.TrimSpace(strings.TrimPrefix(authz, "Bearer ")) != "tok" {
			t.Fatalf("authorization %q passed the guard", authz)
		}
		_ = cursor // the cursor's parsing is fuzzed in package httpapi
	})
}
