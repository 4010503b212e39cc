package states_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

func TestRegistryResolve(t *testing.T) {
	named := func(name string) states.TaskFunc {
		return func(context.Context, states.TaskRequest) (json.RawMessage, error) {
			return json.RawMessage(`"` + name + `"`), nil
		}
	}
	r := states.NewRegistry()
	r.HandlePrefix("arn:aws:states:::", named("any-service"))
	r.HandlePrefix("arn:aws:states:::lambda:invoke", named("lambda"))
	r.Handle("arn:aws:states:::lambda:invoke.waitForTaskToken", named("exact"))
	tests := []struct {
		resource string
		want     string
		wantErr  string
	}{
		{"arn:aws:states:::lambda:invoke.waitForTaskToken", `"exact"`, ""},
		{"arn:aws:states:::lambda:invoke", `"lambda"`, ""},
		{"arn:aws:states:::sns:publish", `"any-service"`, ""},
		{"arn:aws:lambda:us-east-1:1:function:f", "", failure.Runtime},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			h, err := r.Resolve(tt.resource)
			if tt.wantErr != "" {
				if !isFailure(err, tt.wantErr) {
					t.Fatalf("got %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := h.Invoke(context.Background(), states.TaskRequest{})
			if string(got) != tt.want {
				t.Errorf("got handler %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTaskRequest(t *testing.T) {
	var got states.TaskRequest
	h := states.TaskFunc(func(_ context.Context, req states.TaskRequest) (json.RawMessage, error) {
		got = req
		return json.RawMessage(`{}`), nil
	})
	const res = "arn:aws:states:::ecs:runTask.sync"
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + res + `","InputPath":"$.job","Parameters":{"Cluster.$":"$.cluster"},"TimeoutSeconds":60,"End":true}}}`
	res2, _ := runMachine(t, def, `{"job":{"cluster":"c1"}}`, states.Options{Tasks: handlers(map[string]states.TaskFunc{res: h})})
	if res2.Status != states.StatusSucceeded {
		t.Fatalf("got %s %s", res2.Status, res2.Error)
	}
	if got.Resource != res || got.StateName != "T" || got.Pattern != states.Sync || string(got.Input) != `{"Cluster":"c1"}` ||
		got.TimeoutSeconds != 60 || got.ExecutionName != "test" || got.Token != "" {
		t.Errorf("got request %+v", got)
	}
}
