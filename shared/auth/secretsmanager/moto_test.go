package secretsmanager_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// TestSecretMoto runs TestSecret's cases against moto's Secrets Manager.
func TestSecretMoto(t *testing.T) {
	ctx := context.Background()
	client := sm.NewFromConfig(mototest.Config(t))
	src := secretsmanager.New(client)
	prefix := mototest.Name(t, 40) + "/"
	put := func(name string, in *sm.CreateSecretInput) string {
		in.Name = aws.String(prefix + name)
		out, err := client.CreateSecret(ctx, in)
		if err != nil {
			t.Fatalf("CreateSecret %s: %v", name, err)
		}
		return aws.ToString(out.ARN)
	}
	arn := put("github", &sm.CreateSecretInput{SecretString: aws.String("gh-secret")})
	put("binary", &sm.CreateSecretInput{SecretBinary: []byte{1, 2, 3}})
	tests := []struct {
		name    string
		id      string
		want    string
		wantErr error
	}{
		{name: "by name", id: prefix + "github", want: "gh-secret"},
		{name: "by arn", id: arn, want: "gh-secret"},
		{name: "binary", id: prefix + "binary", want: "\x01\x02\x03"},
		{name: "missing", id: prefix + "none", wantErr: release.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := src.Secret(ctx, tt.id)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
