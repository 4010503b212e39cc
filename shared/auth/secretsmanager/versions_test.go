package secretsmanager_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestSecretVersionsDuringRotation(t *testing.T) {
	client := sm.NewFromConfig(mototest.Config(t))
	ctx := context.Background()
	name := mototest.Name(t, 100)
	if _, err := client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	src := secretsmanager.New(client)
	got := func() []string {
		t.Helper()
		vs, err := src.SecretVersions(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, string(v))
		}
		return out
	}
	if g := fmt.Sprint(got()); g != "[v1]" {
		t.Errorf("before a rotation: %s, want [v1]", g)
	}
	// A rotation's createSecret step: the new value is AWSPENDING.
	if _, err := client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String("v2"),
		VersionStages: []string{"AWSPENDING"}}); err != nil {
		t.Fatal(err)
	}
	if g := fmt.Sprint(got()); g != "[v1 v2]" {
		t.Errorf("during a rotation: %s, want [v1 v2] (current, pending)", g)
	}
	// finishSecret: v2 becomes current, v1 previous.
	if _, err := client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String("v3")}); err != nil {
		t.Fatal(err)
	}
	if g := fmt.Sprint(got()); g[:4] != "[v3 " {
		t.Errorf("after a new current value: %s, want v3 first", g)
	}
	if v, err := src.SecretVersions(ctx, "shipwave/none"); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("SecretVersions of a missing secret = %q, %v; want release.ErrNotFound", v, err)
	}
}
