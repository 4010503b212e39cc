package lambdaalias_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/lambdaalias"
	"github.com/shipwave/shipwave/shared/traffic/traffictest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// code is a deployment package whose bootstrap holds build, so each build
// has its own CodeSha256.
func code(t testing.TB, build string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	w, err := z.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("#!/bin/sh\necho " + build + "\n"))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// newMotoFunction creates, on moto, a function whose alias live serves
// version 1 (built from "build-1") while $LATEST already holds newer code,
// as newFake does on awsfake.
func newMotoFunction(t *testing.T) (*lambda.Client, release.Target) {
	t.Helper()
	ctx := context.Background()
	client := lambda.NewFromConfig(mototest.Config(t))
	name := mototest.Name(t, 64)
	_, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(mototest.LambdaRole(t)), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code(t, "build-1")},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	v, err := client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name), Description: aws.String("build-1")})
	if err != nil {
		t.Fatalf("PublishVersion: %v", err)
	}
	if _, err := client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: v.Version}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	if _, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: code(t, "build-2")}); err != nil {
		t.Fatalf("UpdateFunctionCode: %v", err)
	}
	return client, release.Target{Type: release.TargetLambdaAlias, Name: name + "-live", Function: name, Alias: "live"}
}

// TestContractMoto runs the shifter contract against moto's Lambda. moto
// does not check UpdateAlias's RevisionId (a stale revision is accepted),
// so the lost-race case runs against awsfake only
// (TestShiftLosesRaceWithConflict).
func TestContractMoto(t *testing.T) {
	traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
		client, tg := newMotoFunction(t)
		return lambdaalias.New(client), tg
	})
}

// TestPrepareUnchangedCodeMoto: publishing when $LATEST has not changed
// returns the last version, as AWS does, and Prepare calls that a conflict
// on moto as on awsfake.
func TestPrepareUnchangedCodeMoto(t *testing.T) {
	client, tg := newMotoFunction(t)
	s := lambdaalias.New(client)
	v, err := s.Prepare(context.Background(), tg, "build-2")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Prepare(context.Background(), tg, "build-3")
	if !errors.Is(err, release.ErrConflict) {
		t.Errorf("Prepare of build-3 with $LATEST unchanged since %s = %v, want ErrConflict", v, err)
	}
}
