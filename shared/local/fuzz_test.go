package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/rules"
)

// FuzzCheckFault: a fault string from a push either is rejected or has only
// known faults, and its artifact parses back to the version.
func FuzzCheckFault(f *testing.F) {
	for _, s := range []string{"", "error-rate=0.2", "latency=300ms+error-rate=0.1", "crash-on-start", "crash-after=2s", "melt=1", "error-rate", "+,+", "latency=,x"} {
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
		for _, part := range strings.Split(rest, "+") {
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
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	all, err := rules.All()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		var got []string
		var routes []Route
		for _, r := range all {
			routes = append(routes, Route{Rule: r.Name, Target: r.Target, Pattern: r, Handle: func(context.Context, json.RawMessage) (any, error) {
				got = append(got, r.Name)
				return nil, nil
			}})
		}
		ds, err := NewBus(nil, routes...).Deliver(context.Background(), event)
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
