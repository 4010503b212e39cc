package awsfake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/shipwave/shipwave/shared/awsfake"
)

func TestSecretsManagerGetSecretValue(t *testing.T) {
	fake := awsfake.NewSecretsManager(t)
	arn := fake.PutString("a", "1")
	client := sm.NewFromConfig(awsfake.Config(fake.URL()))
	for _, id := range []string{"a", arn} {
		out, err := client.GetSecretValue(context.Background(), &sm.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil || aws.ToString(out.SecretString) != "1" || aws.ToString(out.Name) != "a" || aws.ToString(out.ARN) != arn {
			t.Fatalf("%s: got %+v, %v", id, out, err)
		}
	}
	var nf *smtypes.ResourceNotFoundException
	if _, err := client.GetSecretValue(context.Background(), &sm.GetSecretValueInput{SecretId: aws.String("b")}); !errors.As(err, &nf) {
		t.Fatalf("got %v, want ResourceNotFoundException", err)
	}
}
