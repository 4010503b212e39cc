package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

func TestLoadSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{name: "complete", env: map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn}},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"STATE_MACHINE_ARN"}},
		{name: "bad arn", env: map[string]string{"TABLE_NAME": "t", "STATE_MACHINE_ARN": "x"}, wantErr: []string{"STATE_MACHINE_ARN: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadSettings(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("loadSettings: %v", err)
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got error %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestWiring builds the function from a complete environment, as Lambda
// would, without calling AWS.
func TestWiring(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSHIPWAVEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "shipwave-fake-secret")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	env := map[string]string{"TABLE_NAME": "shipwave", "STATE_MACHINE_ARN": arn}
	if _, err := newRunner(context.Background(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("newRunner: %v", err)
	}
	if _, err := newRunner(context.Background(), func(string) string { return "" }, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("newRunner with an empty environment: got no error")
	}
}
