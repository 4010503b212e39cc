package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/hooks"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME", "HOOK_SECRET_ARN")
}

// TestWiredHandler: the handler built from the environment reads the
// signing secret from Secrets Manager and invokes the sample's Lambda hook
// through the Lambda API (both awsfake); the hook's "Failed" comes back as
// HookFailed, its "Succeeded" as success.
func TestWiredHandler(t *testing.T) {
	sm := awsfake.NewSecretsManager(t)
	arn := sm.PutString("shipwave/hook-signing", "s3cr3t")
	fn := awsfake.NewLambda(t)
	fn.AddFunction("orders-smoke", "sha-1")
	verdict := "Failed"
	var got hooks.Invocation
	fn.HandleInvoke("orders-smoke", func(_, _ string, payload []byte) ([]byte, string) {
		_ = json.Unmarshal(payload, &got)
		return []byte(`{"status":"` + verdict + `","reason":"smoke test"}`), ""
	})
	env := wiringtest.New(t, map[string]string{"LAMBDA": fn.URL(), "SECRETS_MANAGER": sm.URL()})
	env.Vars["HOOK_SECRET_ARN"] = arn
	h := wiringtest.Built(t, env, "hook", newHandler)
	in := wiringtest.TaskSample[control.HookInput](t, env, "task-hook-pre-traffic.json")
	_, err := h(context.Background(), in)
	var failed *control.HookFailed
	if !errors.As(err, &failed) || got.ReleaseID != in.ReleaseID {
		t.Errorf("hook answering Failed = %v (hook saw release %q), want HookFailed after invoking it for %s", err, got.ReleaseID, in.ReleaseID)
	}
	if got.Version != in.Artifact || got.Candidate != in.Split.Candidate || got.Phase != hooks.PreTraffic {
		t.Errorf("hook invoked with %+v, want version %s, candidate %s, phase %s", got, in.Artifact, in.Split.Candidate, hooks.PreTraffic)
	}
	verdict = "Succeeded"
	if _, err := h(context.Background(), in); err != nil {
		t.Errorf("hook answering Succeeded = %v, want success", err)
	}
}
