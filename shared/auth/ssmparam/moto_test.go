package ssmparam_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/shipwave/shipwave/shared/auth/ssmparam"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// TestSecretMoto reads SecureString parameters from moto's Parameter Store.
func TestSecretMoto(t *testing.T) {
	ctx := context.Background()
	client := ssm.NewFromConfig(mototest.Config(t))
	src := ssmparam.New(client)
	name := "/" + mototest.Name(t, 40) + "/github"
	if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("gh"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatalf("PutParameter: %v", err)
	}
	got, err := src.Secret(ctx, name)
	if err != nil || string(got) != "gh" {
		t.Errorf("Secret(%s) = %q, %v; want gh", name, got, err)
	}
	if _, err := src.Secret(ctx, name+"-missing"); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("Secret of a missing parameter = %v, want ErrNotFound", err)
	}
}
