package main

import (
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
)

const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

func TestLoadSettings(t *testing.T) {
	wiringtest.Settings(t, loadSettings, []wiringtest.SettingsCase[settings]{
		{Name: "complete", Env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "MAX_WAIT": "6h"}},
		{Name: "nothing set", Env: map[string]string{}, WantErr: []string{"STATE_MACHINE_ARN"}},
		{Name: "bad max wait", Env: map[string]string{"TABLE_NAME": "t", "STATE_MACHINE_ARN": arn, "MAX_WAIT": "-1h"}, WantErr: []string{"MAX_WAIT"}},
	})
}

// TestWiring builds the function from a complete environment, as Lambda
// would, without calling AWS.
func TestWiring(t *testing.T) {
	wiringtest.Builds(t, newWorker, map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "MAX_WAIT": "6h"})
	wiringtest.RequiresEnv(t, newWorker, "STATE_MACHINE_ARN")
}
