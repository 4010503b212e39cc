package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
)

// readEvent reads events/name, refusing a field the event type lacks.
func readEvent(t *testing.T, name string) events.CloudWatchEvent {
	return wiringtest.Sample[events.CloudWatchEvent](t, name)
}

type reconcilerFunc func(context.Context, control.ExecutionChange) (control.ReconcileResult, error)

func (f reconcilerFunc) Reconcile(ctx context.Context, c control.ExecutionChange) (control.ReconcileResult, error) {
	return f(ctx, c)
}

func TestHandle(t *testing.T) {
	broken := readEvent(t, "sfn-execution-aborted.json")
	broken.Detail = json.RawMessage(`"not an object"`)
	noStatus := readEvent(t, "sfn-execution-aborted.json")
	noStatus.Detail = json.RawMessage(`{"executionArn":"arn:x"}`)
	tests := []struct {
		name    string
		event   events.CloudWatchEvent
		want    control.ExecutionChange
		wantErr string
	}{
		{name: "aborted", event: readEvent(t, "sfn-execution-aborted.json"), want: control.ExecutionChange{
			ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:rel-01HQ3Z", Name: "rel-01HQ3Z", Status: "ABORTED",
			Input: `{"releaseId":"rel-01HQ3Z","pipeline":"orders"}`}},
		{name: "timed out with error", event: readEvent(t, "sfn-execution-timed-out.json"), want: control.ExecutionChange{
			ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:rel-01HQ3Z", Name: "rel-01HQ3Z", Status: "TIMED_OUT",
			Input: `{"releaseId":"rel-01HQ3Z","pipeline":"orders"}`, Error: "States.Timeout"}},
		{name: "other source", event: readEvent(t, "alarm-state-change-alarm.json"), wantErr: "want \"aws.states\""},
		{name: "detail not object", event: broken, wantErr: "detail"},
		{name: "no status", event: noStatus, wantErr: "detail.status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got control.ExecutionChange
			h := handle(reconcilerFunc(func(_ context.Context, c control.ExecutionChange) (control.ReconcileResult, error) {
				got = c
				return control.ReconcileResult{Action: "restored"}, nil
			}))
			_, err := h(context.Background(), tt.event)
			if tt.wantErr != "" {
				var inv *control.InvalidInput
				if !errors.As(err, &inv) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want *control.InvalidInput containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("change = %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME")
}

func FuzzParseExecutionChange(f *testing.F) {
	for _, name := range []string{"sfn-execution-aborted.json", "sfn-execution-timed-out.json", "negative/sfn-execution-succeeded.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev events.CloudWatchEvent
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		c, err := ParseExecutionChange(ev)
		if err == nil && (c.ExecutionArn == "" || c.Status == "") {
			t.Fatalf("accepted %s without executionArn or status", data)
		}
	})
}
