package observe_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/observe"
)

// daemon is a loopback UDP listener standing in for the X-Ray daemon.
func daemon(t testing.TB) *net.UDPConn {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// receive returns the next segment document, or ok=false after a short
// wait.
func receive(t testing.TB, conn *net.UDPConn) (map[string]any, bool) {
	t.Helper()
	buf := make([]byte, 64<<10)
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := conn.Read(buf)
	if err != nil {
		return nil, false
	}
	header, doc, found := strings.Cut(string(buf[:n]), "\n")
	if !found || header != `{"format": "json", "version": 1}` {
		t.Fatalf("datagram %q lacks the daemon header", buf[:n])
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("segment %q is not JSON: %v", doc, err)
	}
	return m, true
}

func TestTracer(t *testing.T) {
	const root, parent = "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8"
	tests := []struct {
		name       string
		header     string
		lambdaKey  bool
		token      string
		wantSent   bool
		wantStatus float64
		wantError  bool
	}{
		{name: "sampled call", header: "Root=" + root + ";Parent=" + parent + ";Sampled=1", token: "tok", wantSent: true, wantStatus: 200},
		{name: "lambda context key", header: "Root=" + root + ";Parent=" + parent + ";Sampled=1", lambdaKey: true, token: "tok", wantSent: true, wantStatus: 200},
		{name: "service error", header: "Root=" + root + ";Parent=" + parent + ";Sampled=1", token: "unknown", wantSent: true, wantStatus: 400, wantError: true},
		{name: "not sampled", header: "Root=" + root + ";Parent=" + parent + ";Sampled=0", token: "tok"},
		{name: "no trace", token: "tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := daemon(t)
			tr, err := observe.NewTracer("udp:"+d.LocalAddr().String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tr.Close() })
			fake := awsfake.NewSFN(t)
			fake.Wait("tok")
			cfg := awsfake.Config(fake.URL())
			tr.Instrument(&cfg.APIOptions)
			client := sfn.NewFromConfig(cfg)
			ctx := context.Background()
			if tt.lambdaKey {
				ctx = context.WithValue(ctx, "x-amzn-trace-id", tt.header) //lint:ignore SA1029 the key aws-lambda-go uses
			} else if tt.header != "" {
				ctx = observe.WithTraceHeader(ctx, tt.header)
			}
			_, callErr := client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tt.token), Output: aws.String("{}")})
			if (callErr != nil) != tt.wantError {
				t.Fatalf("call error = %v, want error %v", callErr, tt.wantError)
			}
			seg, sent := receive(t, d)
			if sent != tt.wantSent {
				t.Fatalf("subsegment sent = %v, want %v (%v)", sent, tt.wantSent, seg)
			}
			if !sent {
				return
			}
			checks := map[string]any{"trace_id": root, "parent_id": parent, "type": "subsegment", "namespace": "aws", "name": "SFN"}
			for k, want := range checks {
				if seg[k] != want {
					t.Errorf("%s = %v, want %v", k, seg[k], want)
				}
			}
			if op := seg["aws"].(map[string]any)["operation"]; op != "SendTaskSuccess" {
				t.Errorf("aws.operation = %v, want SendTaskSuccess", op)
			}
			if st := seg["http"].(map[string]any)["response"].(map[string]any)["status"]; st != tt.wantStatus {
				t.Errorf("http.response.status = %v, want %v", st, tt.wantStatus)
			}
			if id, _ := seg["id"].(string); len(id) != 16 {
				t.Errorf("id = %q, want 16 hex digits", id)
			}
			if seg["end_time"].(float64) < seg["start_time"].(float64) {
				t.Errorf("end_time %v before start_time %v", seg["end_time"], seg["start_time"])
			}
			if got := seg["error"] == true; got != tt.wantError {
				t.Errorf("error flag = %v, want %v", got, tt.wantError)
			}
			if tt.wantError {
				exc := seg["cause"].(map[string]any)["exceptions"].([]any)[0].(map[string]any)
				if exc["type"] != "TaskDoesNotExist" {
					t.Errorf("cause type = %v, want TaskDoesNotExist", exc["type"])
				}
			}
		})
	}
}

func TestNewTracerBadAddress(t *testing.T) {
	if _, err := observe.NewTracer("not an address", nil); err == nil {
		t.Error("NewTracer(bad address) = nil error, want one")
	}
}

// TestTracerAnnotatesRelease: an SDK call made for a release carries the
// release, pipeline and target as X-Ray annotations.
func TestTracerAnnotatesRelease(t *testing.T) {
	const header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	d := daemon(t)
	tr, err := observe.NewTracer("udp:"+d.LocalAddr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	fake := awsfake.NewSFN(t)
	fake.Wait("tok")
	cfg := awsfake.Config(fake.URL())
	tr.Instrument(&cfg.APIOptions)
	ctx := observe.WithFields(observe.WithTraceHeader(context.Background(), header), observe.Fields{ReleaseID: "rel-1", Pipeline: "orders", Target: "orders-live"})
	if _, err := sfn.NewFromConfig(cfg).SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("tok"), Output: aws.String("{}")}); err != nil {
		t.Fatal(err)
	}
	seg, ok := receive(t, d)
	if !ok {
		t.Fatal("no subsegment sent")
	}
	ann, _ := seg["annotations"].(map[string]any)
	want := map[string]any{"release_id": "rel-1", "pipeline": "orders", "target": "orders-live"}
	if len(ann) != len(want) {
		t.Errorf("annotations = %v, want %v", ann, want)
	}
	for k, v := range want {
		if ann[k] != v {
			t.Errorf("annotation %s = %v, want %v", k, ann[k], v)
		}
	}
}
