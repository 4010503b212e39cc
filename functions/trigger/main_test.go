package main

import (
	"strings"
	"testing"
)

func TestLoadSettings(t *testing.T) {
	const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{name: "complete", env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "EVENT_ACCOUNT": "123456789012"}},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"TABLE_NAME is not set", "STATE_MACHINE_ARN is not set", "EVENT_ACCOUNT"}},
		{name: "bad arn", env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": "shipwave-release", "EVENT_ACCOUNT": "123456789012"}, wantErr: []string{"STATE_MACHINE_ARN: state machine ARN \"shipwave-release\""}},
		{name: "bad account", env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn, "EVENT_ACCOUNT": "1234"}, wantErr: []string{"EVENT_ACCOUNT is \"1234\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("loadSettings: %v", err)
				}
				if s.Table != "shipwave" || s.StateMachineARN != arn || s.Account != "123456789012" {
					t.Errorf("settings = %+v, want the environment's values", s)
				}
				return
			}
			if err == nil {
				t.Fatalf("loadSettings = %+v, nil; want an error", s)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
