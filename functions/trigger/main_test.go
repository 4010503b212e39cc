package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/triggers"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

func TestLoadSettings(t *testing.T) {
	environment := func(t *testing.T, s settings) {
		if s.StateMachineARN != arn || s.Account != "123456789012" {
			t.Errorf("settings = %+v, want the environment's values", s)
		}
	}
	wiringtest.Settings(t, loadSettings, []wiringtest.SettingsCase[settings]{
		{Name: "complete", Env: map[string]string{"STATE_MACHINE_ARN": arn, "EVENT_ACCOUNT": "123456789012"}, Check: environment},
		{Name: "nothing set", Env: map[string]string{}, WantErr: []string{"STATE_MACHINE_ARN is not set", "EVENT_ACCOUNT"}},
		{Name: "bad arn", Env: map[string]string{"STATE_MACHINE_ARN": "shipwave-release", "EVENT_ACCOUNT": "123456789012"}, WantErr: []string{"STATE_MACHINE_ARN: state machine ARN \"shipwave-release\""}},
		{Name: "bad account", Env: map[string]string{"STATE_MACHINE_ARN": arn, "EVENT_ACCOUNT": "1234"}, WantErr: []string{"EVENT_ACCOUNT is \"1234\""}},
	})
}

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME", "STATE_MACHINE_ARN", "EVENT_ACCOUNT")
}

// TestWiredHandlerReleasesAPush: the handler built from the environment
// turns the CodeCommit push sample into a release in the table TABLE_NAME
// names and starts its execution on Step Functions (awsfake), and logs as
// the trigger function.
func TestWiredHandlerReleasesAPush(t *testing.T) {
	fake := awsfake.NewSFN(t)
	machine := fake.AddStateMachine("shipwave-release")
	env := wiringtest.New(t, map[string]string{"SFN": fake.URL()})
	env.Vars["STATE_MACHINE_ARN"] = machine
	env.Vars["EVENT_ACCOUNT"] = "123456789012"
	p := release.Pipeline{APIVersion: "shipwave/v1", Name: "orders", Source: release.Source{Repository: "orders-api", Branch: "main"},
		Triggers: []release.TriggerRule{{Push: &release.PushTrigger{}}}}
	if _, err := env.Store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte("pipeline: orders"), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	h := wiringtest.Built(t, env, "trigger", newHandler)
	ev := wiringtest.Sample[events.CloudWatchEvent](t, "codecommit-push.json")
	res, err := h.Handle(context.Background(), ev)
	if err != nil || len(res.Pipelines) != 1 || res.Pipelines[0].Outcome != triggers.OutcomeReleased {
		t.Fatalf("Handle = %+v, %v; want orders released", res, err)
	}
	rel, err := env.Store.GetRelease(context.Background(), res.Pipelines[0].ReleaseID)
	if err != nil || rel.Execution == "" || !strings.HasPrefix(rel.Execution, strings.Replace(machine, ":stateMachine:", ":execution:", 1)) {
		t.Errorf("stored release %+v, %v; want it started on %s", rel, err, machine)
	}
}
