package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoadSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
		wantTTL time.Duration
	}{
		{name: "github only", env: map[string]string{"TABLE_NAME": "shipwave", "GITHUB_SECRET_ID": "shipwave/github"}, wantTTL: 5 * time.Minute},
		{name: "ttl", env: map[string]string{"TABLE_NAME": "shipwave", "GITLAB_SECRET_ID": "shipwave/gitlab", "SECRET_TTL": "30s"}, wantTTL: 30 * time.Second},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"neither GITHUB_SECRET_ID nor GITLAB_SECRET_ID"}},
		{name: "bad ttl", env: map[string]string{"TABLE_NAME": "t", "GITHUB_SECRET_ID": "g", "SECRET_TTL": "soon"}, wantErr: []string{"SECRET_TTL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) == 0 {
				if err != nil || s.SecretTTL != tt.wantTTL {
					t.Fatalf("got %+v, %v; want ttl %s", s, err, tt.wantTTL)
				}
				return
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
	env := map[string]string{"TABLE_NAME": "shipwave", "GITHUB_SECRET_ID": "shipwave/github"}
	h, err := newHandler(context.Background(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if err != nil || h.GitHubSecret != "shipwave/github" || h.GitLabSecret != "" {
		t.Fatalf("newHandler: %+v, %v", h, err)
	}
}
