package secretsmanager_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
)

func newSource(t testing.TB) (*secretsmanager.Source, *awsfake.SecretsManager) {
	t.Helper()
	fake := awsfake.NewSecretsManager(t)
	return secretsmanager.New(sm.NewFromConfig(awsfake.Config(fake.URL()))), fake
}

func TestSecret(t *testing.T) {
	src, fake := newSource(t)
	arn := fake.PutString("shipwave/github", "gh-secret")
	fake.PutBinary("shipwave/binary", []byte{1, 2, 3})
	fake.PutString("shipwave/empty", "")
	tests := []struct {
		name    string
		id      string
		want    string
		wantErr error
	}{
		{name: "by name", id: "shipwave/github", want: "gh-secret"},
		{name: "by arn", id: arn, want: "gh-secret"},
		{name: "binary", id: "shipwave/binary", want: "\x01\x02\x03"},
		{name: "empty value", id: "shipwave/empty", wantErr: release.ErrInvalid},
		{name: "missing", id: "shipwave/none", wantErr: release.ErrNotFound},
		{name: "no id", id: "", wantErr: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := src.Secret(context.Background(), tt.id)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	reqs := fake.Requests("GetSecretValue")
	if len(reqs) != 5 { // "no id" never reaches AWS
		t.Fatalf("got %d GetSecretValue requests, want 5", len(reqs))
	}
	if got := reqs[0].Params["SecretId"]; got != "shipwave/github" {
		t.Errorf("first request SecretId = %v, want shipwave/github", got)
	}
}

func TestSecretAccessDenied(t *testing.T) {
	src, fake := newSource(t)
	fake.PutString("s", "v")
	fake.Inject(awsfake.Fault{Operation: "GetSecretValue", Status: http.StatusBadRequest, Code: "AccessDeniedException"})
	_, err := src.Secret(context.Background(), "s")
	if !errors.Is(err, release.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
}

func TestCachedSourceCallsAWSOncePerTTL(t *testing.T) {
	src, fake := newSource(t)
	fake.PutString("shipwave/slack", "one")
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	c := auth.NewCache(src, 5*time.Minute, func() time.Time { return now })
	for range 3 {
		if got, err := c.Secret(context.Background(), "shipwave/slack"); err != nil || string(got) != "one" {
			t.Fatalf("got %q, %v; want one", got, err)
		}
	}
	fake.PutString("shipwave/slack", "rotated")
	now = now.Add(6 * time.Minute)
	if got, err := c.Secret(context.Background(), "shipwave/slack"); err != nil || string(got) != "rotated" {
		t.Fatalf("after TTL got %q, %v; want rotated", got, err)
	}
	if n := len(fake.Requests("GetSecretValue")); n != 2 {
		t.Errorf("got %d GetSecretValue calls, want 2", n)
	}
}
