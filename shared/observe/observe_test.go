package observe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
)

var t0 = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)

func decodeLines(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestLoggerContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() context.Context
		args []any
		want map[string]any
		none []string
	}{
		{
			name: "lambda request and fields",
			ctx: func() context.Context {
				ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
				return observe.WithFields(ctx, observe.Fields{ReleaseID: "rel-1", Pipeline: "orders", Stage: "prod", Wave: "one-box", Target: "orders-live"})
			},
			want: map[string]any{"requestId": "req-1", "releaseId": "rel-1", "pipeline": "orders", "stage": "prod", "wave": "one-box", "target": "orders-live"},
		},
		{
			name: "line's own keys win",
			ctx: func() context.Context {
				return observe.WithFields(context.Background(), observe.Fields{ReleaseID: "rel-1", Stage: "beta"})
			},
			args: []any{"releaseId", "rel-2"},
			want: map[string]any{"releaseId": "rel-2", "stage": "beta"},
		},
		{
			name: "powertools keys",
			ctx: func() context.Context {
				ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-2"})
				return observe.WithTraceHeader(ctx, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			},
			want: map[string]any{"service": "shipwave", "function_request_id": "req-2", "xray_trace_id": "1-5759e988-bd862e3fe1be46a994272793"},
		},
		{
			name: "plain context",
			ctx:  context.Background,
			want: map[string]any{"service": "shipwave"},
			none: []string{"requestId", "releaseId", "pipeline", "stage", "wave", "target", "xray_trace_id", "cold_start", "function_request_id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			observe.NewLogger(&buf).InfoContext(tt.ctx(), "hello", tt.args...)
			lines := decodeLines(t, buf.Bytes())
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want 1: %s", len(lines), buf.String())
			}
			for k, v := range tt.want {
				if lines[0][k] != v {
					t.Errorf("%s = %v, want %v (line %s)", k, lines[0][k], v, buf.String())
				}
			}
			for _, k := range tt.none {
				if _, ok := lines[0][k]; ok {
					t.Errorf("line has %s, want none: %s", k, buf.String())
				}
			}
			if strings.Count(buf.String(), `"releaseId"`) > 1 {
				t.Errorf("releaseId appears twice: %s", buf.String())
			}
		})
	}
}

// TestLoggerColdStart: without Handler, a logger marks the lines of the
// first Lambda request it logs for cold_start true, later requests' false,
// also through loggers derived with With.
func TestLoggerColdStart(t *testing.T) {
	var buf bytes.Buffer
	log := observe.NewLogger(&buf)
	derived := log.With("function", "api")
	for _, id := range []string{"req-1", "req-1", "req-2"} {
		derived.InfoContext(lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id}), "hello")
	}
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 3 {
		t.Fatalf("got %d lines", len(lines))
	}
	for i, want := range []bool{true, true, false} {
		if lines[i]["cold_start"] != want {
			t.Errorf("line %d (%s): cold_start = %v, want %v", i, lines[i]["function_request_id"], lines[i]["cold_start"], want)
		}
	}
}

func TestFieldsOf(t *testing.T) {
	type deployIn struct {
		ReleaseID string `json:"releaseId"`
		Pipeline  string `json:"pipeline"`
		Stage     string `json:"stage"`
		Wave      string `json:"wave"`
		Target    struct {
			Name string `json:"name"`
		} `json:"target"`
	}
	d := deployIn{ReleaseID: "r", Pipeline: "p", Stage: "s", Wave: "w"}
	d.Target.Name = "t"
	tests := []struct {
		name string
		in   any
		want observe.Fields
	}{
		{"target object", d, observe.Fields{ReleaseID: "r", Pipeline: "p", Stage: "s", Wave: "w", Target: "t"}},
		{"target string", map[string]any{"releaseId": "r", "target": "t"}, observe.Fields{ReleaseID: "r", Target: "t"}},
		{"action of a router", map[string]any{"action": "prepare", "releaseId": "r"}, observe.Fields{ReleaseID: "r", Action: "prepare"}},
		{"no fields", map[string]any{"other": 1}, observe.Fields{}},
		{"not an object", "x", observe.Fields{}},
		{"unmarshalable", func() {}, observe.Fields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := observe.FieldsOf(tt.in); got != tt.want {
				t.Errorf("FieldsOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

type HookFailed struct{ Message string }

func (e *HookFailed) Error() string { return e.Message }

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := observe.NewLogger(&buf)
	clock := t0
	now := func() time.Time { clock = clock.Add(250 * time.Millisecond); return clock }
	type in struct {
		ReleaseID string `json:"releaseId"`
		Fail      bool   `json:"fail"`
	}
	h := observe.Handler(log, "hook", now, func(ctx context.Context, v in) (string, error) {
		if observe.FieldsFrom(ctx).ReleaseID != v.ReleaseID {
			t.Errorf("handler context fields = %+v, want releaseId %s", observe.FieldsFrom(ctx), v.ReleaseID)
		}
		if v.Fail {
			return "", &HookFailed{Message: "smoke test said no"}
		}
		return "ok", nil
	})
	out, err := h(context.Background(), in{ReleaseID: "rel-1"})
	if err != nil || out != "ok" {
		t.Fatalf("h = %q, %v; want ok, nil", out, err)
	}
	_, err = h(context.Background(), in{ReleaseID: "rel-2", Fail: true})
	var hf *HookFailed
	if !errors.As(err, &hf) || err != error(hf) {
		t.Fatalf("h error = %#v, want the handler's *HookFailed unchanged", err)
	}
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	if lines[0]["msg"] != "hook done" || lines[0]["releaseId"] != "rel-1" || lines[0]["durationMs"] != float64(250) || lines[0]["cold_start"] != true {
		t.Errorf("success line = %v, want msg 'hook done', releaseId rel-1, durationMs 250, cold_start true", lines[0])
	}
	if lines[1]["cold_start"] != false {
		t.Errorf("second invocation's cold_start = %v, want false", lines[1]["cold_start"])
	}
	if lines[1]["level"] != "ERROR" || lines[1]["errorType"] != "HookFailed" || lines[1]["error"] != "smoke test said no" || lines[1]["releaseId"] != "rel-2" {
		t.Errorf("failure line = %v, want ERROR with errorType HookFailed and releaseId rel-2", lines[1])
	}
}

func TestMetricsEMF(t *testing.T) {
	var buf bytes.Buffer
	m := observe.NewMetrics(&buf, func() time.Time { return t0 })
	f := observe.Fields{ReleaseID: "rel-1", Pipeline: "orders", Stage: "prod", Wave: "one-box", Target: "orders-live"}
	for _, p := range []struct {
		name string
		v    float64
	}{
		{observe.ReleasesStarted, 1}, {observe.ReleasesSucceeded, 1}, {observe.ReleasesRolledBack, 1},
		{observe.LeadTimeSeconds, 754.5}, {observe.RollbackDurationSeconds, 12}, {observe.BakePassed, 1}, {observe.BakeFailed, 1},
	} {
		if err := m.Put(f, p.name, p.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Put(observe.Fields{}, observe.ReleasesStarted, 1); err != nil {
		t.Fatal(err)
	}
	before := buf.Len()
	if err := m.Put(f, "Bogus", 1); err == nil {
		t.Error("Put(Bogus) = nil error, want an unknown-metric error")
	}
	if buf.Len() != before {
		t.Error("Put(Bogus) wrote output, want nothing")
	}
	golden.Check(t, "emf.golden", buf.Bytes())
	for _, line := range decodeLines(t, buf.Bytes()) {
		aws := line["_aws"].(map[string]any)
		cwm := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
		name := cwm["Metrics"].([]any)[0].(map[string]any)["Name"].(string)
		if _, ok := line[name].(float64); !ok {
			t.Errorf("line has no numeric member %s for its metric: %v", name, line)
		}
		for _, dims := range cwm["Dimensions"].([]any) {
			for _, d := range dims.([]any) {
				if _, ok := line[d.(string)].(string); !ok {
					t.Errorf("dimension %s has no string member: %v", d, line)
				}
			}
		}
	}
}

type reader struct {
	rel    release.Release
	events []release.Event
	err    error
}

func (r reader) GetRelease(context.Context, string) (release.Release, error) { return r.rel, r.err }
func (r reader) Events(context.Context, string, int64, int) ([]release.Event, error) {
	return r.events, r.err
}

func withStatus(r release.Release, s release.Status) release.Release {
	r.Status = s
	return r
}

func TestMeter(t *testing.T) {
	rel := release.Release{ID: "rel-1", Pipeline: "orders", CreatedAt: t0.Add(time.Minute), Trigger: release.Trigger{Time: t0}}
	events := []release.Event{
		{ReleaseID: "rel-1", Seq: 5, Time: t0.Add(10 * time.Minute), Type: release.EventRollbackStarted, Target: "a"},
		{ReleaseID: "rel-1", Seq: 6, Time: t0.Add(11 * time.Minute), Type: release.EventRollbackStarted, Target: "b"},
		{ReleaseID: "rel-1", Seq: 7, Time: t0.Add(10*time.Minute + 42*time.Second), Type: release.EventRolledBack, Target: "a"},
	}
	tests := []struct {
		name string
		rd   reader
		ev   release.Event
		want map[string]float64 // metric → value; empty: no line
	}{
		{"started", reader{rel: rel}, release.Event{ReleaseID: "rel-1", Type: release.EventStarted}, map[string]float64{observe.ReleasesStarted: 1}},
		{"succeeded with lead time from trigger", reader{rel: rel}, release.Event{ReleaseID: "rel-1", Type: release.EventReleaseSucceeded, Time: t0.Add(90 * time.Minute)},
			map[string]float64{observe.ReleasesSucceeded: 1, observe.LeadTimeSeconds: 5400}},
		{"lead time from creation without trigger time", reader{rel: release.Release{Pipeline: "orders", CreatedAt: t0}}, release.Event{Type: release.EventReleaseSucceeded, Time: t0.Add(time.Minute)},
			map[string]float64{observe.ReleasesSucceeded: 1, observe.LeadTimeSeconds: 60}},
		{"rolled back end event counts", reader{rel: withStatus(rel, release.StatusRolledBack)}, release.Event{Type: release.EventReleaseRolledBack, Message: "wave one-box failed"}, map[string]float64{observe.ReleasesRolledBack: 1}},
		{"cancelled end event is no rollback", reader{rel: withStatus(rel, release.StatusCancelled)}, release.Event{Type: release.EventReleaseCancelled}, map[string]float64{}},
		{"needs attention end event is no rollback", reader{rel: withStatus(rel, release.StatusNeedsAttention)}, release.Event{Type: release.EventReleaseNeedsAttention}, map[string]float64{}},
		{"rolled back counts", reader{rel: withStatus(rel, release.StatusRolledBack)}, release.Event{Type: release.EventReleaseFailed, Message: "release ROLLED_BACK: wave one-box failed"}, map[string]float64{observe.ReleasesRolledBack: 1}},
		{"cancelled is no rollback", reader{rel: withStatus(rel, release.StatusCancelled)}, release.Event{Type: release.EventReleaseFailed, Message: "release CANCELLED: rejected"}, map[string]float64{}},
		{"superseded is no rollback", reader{rel: withStatus(rel, release.StatusSuperseded)}, release.Event{Type: release.EventReleaseFailed, Message: "release SUPERSEDED"}, map[string]float64{}},
		{"needs attention is no rollback", reader{rel: withStatus(rel, release.StatusFailed)}, release.Event{Type: release.EventReleaseFailed, Message: "release FAILED: restoring traffic failed"}, map[string]float64{}},
		{"rolled back by message when unreadable", reader{err: errors.New("boom")}, release.Event{Type: release.EventReleaseFailed, Message: "release ROLLED_BACK: x"}, map[string]float64{observe.ReleasesRolledBack: 1}},
		{"cancelled by message when unreadable", reader{err: errors.New("boom")}, release.Event{Type: release.EventReleaseFailed, Message: "release CANCELLED: x"}, map[string]float64{}},
		{"rollback duration", reader{rel: rel, events: events}, events[2], map[string]float64{observe.RollbackDurationSeconds: 42}},
		{"rollback without start", reader{rel: rel}, events[2], map[string]float64{}},
		{"bake passed", reader{rel: rel}, release.Event{Type: release.EventBakePassed}, map[string]float64{observe.BakePassed: 1}},
		{"alarm fails bake", reader{rel: rel}, release.Event{Type: release.EventAlarm}, map[string]float64{observe.BakeFailed: 1}},
		{"other events", reader{rel: rel}, release.Event{Type: release.EventTrafficShifted}, map[string]float64{}},
		{"lookup failure still counts", reader{err: errors.New("boom")}, release.Event{Type: release.EventStarted}, map[string]float64{observe.ReleasesStarted: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, logs bytes.Buffer
			m := &observe.Meter{Metrics: observe.NewMetrics(&out, func() time.Time { return t0 }), Releases: tt.rd, Logger: observe.NewLogger(&logs)}
			m.Observe(context.Background(), tt.ev)
			got := map[string]float64{}
			for _, line := range decodeLines(t, out.Bytes()) {
				for name := range tt.want {
					if v, ok := line[name].(float64); ok {
						got[name] = v
					}
				}
				if len(line) == 0 {
					t.Errorf("empty line")
				}
			}
			if n := len(decodeLines(t, out.Bytes())); n != len(tt.want) {
				t.Errorf("got %d metric lines, want %d:\n%s", n, len(tt.want), out.String())
			}
			for name, v := range tt.want {
				if got[name] != v {
					t.Errorf("%s = %v, want %v", name, got[name], v)
				}
			}
			if tt.rd.err != nil && !strings.Contains(logs.String(), "boom") {
				t.Errorf("lookup failure not logged: %q", logs.String())
			}
		})
	}
	var nilMeter *observe.Meter
	nilMeter.Observe(context.Background(), release.Event{Type: release.EventStarted}) // must not panic
}
