package main

import (
	"testing"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
)

const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

func TestLoadSettings(t *testing.T) {
	wiringtest.Settings(t, loadSettings, []wiringtest.SettingsCase[settings]{
		{Name: "complete", Env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "ALEXA_SKILL_ID": "amzn1.ask.skill.1, amzn1.ask.skill.2"}},
		{Name: "nothing set", Env: map[string]string{}, WantErr: []string{"STATE_MACHINE_ARN", "ALEXA_SKILL_ID"}},
		{Name: "not a skill id", Env: map[string]string{"TABLE_NAME": "t", "STATE_MACHINE_ARN": arn, "ALEXA_SKILL_ID": "my-skill"}, WantErr: []string{"not an amzn1.ask.skill. id"}},
	})
}

// TestWiring builds the function from a complete environment, as Lambda
// would, without calling AWS.
func TestWiring(t *testing.T) {
	wiringtest.Builds(t, newHandler, map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "ALEXA_SKILL_ID": "amzn1.ask.skill.1, amzn1.ask.skill.2"})
	wiringtest.RequiresEnv(t, newHandler, "STATE_MACHINE_ARN", "ALEXA_SKILL_ID")
}
