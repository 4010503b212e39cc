package webhook_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/webhook"
)

func seeds(f *testing.F, pattern string) {
	f.Helper()
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		f.Fatalf("no seeds match %s", pattern)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseGitHubPush(f *testing.F) {
	seeds(f, "testdata/github-*.json")
	f.Add([]byte(`{"ref":7}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := webhook.ParseGitHubPush("d", body)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("got error %v that is not ErrInvalid", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted a push that does not validate: %v", err)
		}
	})
}

func FuzzParseGitLabPush(f *testing.F) {
	seeds(f, "testdata/gitlab-*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, _, err := webhook.ParseGitLabPush("d", body)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("got error %v that is not ErrInvalid", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted a push that does not validate: %v", err)
		}
	})
}
