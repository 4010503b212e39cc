package main

import (
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
)

const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

func TestLoadSettings(t *testing.T) {
	wiringtest.Settings(t, loadSettings, []wiringtest.SettingsCase[settings]{
		{Name: "complete", Env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn}},
		{Name: "nothing set", Env: map[string]string{}, WantErr: []string{"STATE_MACHINE_ARN"}},
		{Name: "bad arn", Env: map[string]string{"TABLE_NAME": "t", "STATE_MACHINE_ARN": "x"}, WantErr: []string{"STATE_MACHINE_ARN: "}},
	})
}

// TestWiring builds the function from a complete environment, as Lambda
// would, without calling AWS.
func TestWiring(t *testing.T) {
	wiringtest.Builds(t, newRunner, map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn})
	wiringtest.RequiresEnv(t, newRunner, "STATE_MACHINE_ARN")
}
