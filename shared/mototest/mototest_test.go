package mototest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/shipwave/shipwave/shared/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func TestServerAnswersSDKClients(t *testing.T) {
	ctx := context.Background()
	client := sm.NewFromConfig(mototest.Config(t))
	name := mototest.Name(t, 40)
	if _, err := client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("s3cret")}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	out, err := client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	if got := aws.ToString(out.SecretString); got != "s3cret" {
		t.Errorf("SecretString = %q, want s3cret", got)
	}
	if a, b := mototest.Shared(t), mototest.Shared(t); a != b {
		t.Errorf("Shared returned two servers in one binary")
	}
}

func TestName(t *testing.T) {
	a, b := mototest.Name(t, 20), mototest.Name(t, 20)
	if a == b || len(a) > 20 || len(b) > 20 {
		t.Errorf("Name = %q, %q; want two different names of at most 20 characters", a, b)
	}
}

func TestQueryCreatesRole(t *testing.T) {
	arn := mototest.LambdaRole(t)
	if !strings.HasPrefix(arn, "arn:aws:iam::"+mototest.Account+":role/") {
		t.Errorf("LambdaRole = %q, want a role ARN of account %s", arn, mototest.Account)
	}
}
