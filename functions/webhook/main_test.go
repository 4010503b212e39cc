package main

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
)

func TestLoadSettings(t *testing.T) {
	ttl := func(want time.Duration) func(*testing.T, settings) {
		return func(t *testing.T, s settings) {
			if s.SecretTTL != want {
				t.Errorf("got %+v; want ttl %s", s, want)
			}
		}
	}
	wiringtest.Settings(t, loadSettings, []wiringtest.SettingsCase[settings]{
		{Name: "github only", Env: map[string]string{"TABLE_NAME": "shipwave", "GITHUB_SECRET_ID": "shipwave/github"}, Check: ttl(5 * time.Minute)},
		{Name: "ttl", Env: map[string]string{"TABLE_NAME": "shipwave", "GITLAB_SECRET_ID": "shipwave/gitlab", "SECRET_TTL": "30s"}, Check: ttl(30 * time.Second)},
		{Name: "nothing set", Env: map[string]string{}, WantErr: []string{"neither GITHUB_SECRET_ID nor GITLAB_SECRET_ID"}},
		{Name: "bad ttl", Env: map[string]string{"TABLE_NAME": "t", "GITHUB_SECRET_ID": "g", "SECRET_TTL": "soon"}, WantErr: []string{"SECRET_TTL"}},
	})
}

// TestWiring builds the function from a complete environment, as Lambda
// would, without calling AWS.
func TestWiring(t *testing.T) {
	h := wiringtest.Builds(t, newHandler, map[string]string{"TABLE_NAME": "shipwave", "GITHUB_SECRET_ID": "shipwave/github"})
	if h.GitHubSecret != "shipwave/github" || h.GitLabSecret != "" {
		t.Fatalf("newHandler: %+v", h)
	}
}
