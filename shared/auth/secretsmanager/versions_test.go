package secretsmanager_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
)

// motoURL starts moto_server (Secrets Manager with version stages) on a
// free loopback port for the test.
func motoURL(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server not on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			return url
		}
	}
	t.Fatal("moto_server did not start")
	return ""
}

func TestSecretVersionsDuringRotation(t *testing.T) {
	client := sm.NewFromConfig(awsfake.Config(motoURL(t)))
	ctx := context.Background()
	if _, err := client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("shipwave/github"), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	src := secretsmanager.New(client)
	got := func() []string {
		t.Helper()
		vs, err := src.SecretVersions(ctx, "shipwave/github")
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
	if _, err := client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("shipwave/github"), SecretString: aws.String("v2"),
		VersionStages: []string{"AWSPENDING"}}); err != nil {
		t.Fatal(err)
	}
	if g := fmt.Sprint(got()); g != "[v1 v2]" {
		t.Errorf("during a rotation: %s, want [v1 v2] (current, pending)", g)
	}
	// finishSecret: v2 becomes current, v1 previous.
	if _, err := client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("shipwave/github"), SecretString: aws.String("v3")}); err != nil {
		t.Fatal(err)
	}
	if g := fmt.Sprint(got()); g[:4] != "[v3 " {
		t.Errorf("after a new current value: %s, want v3 first", g)
	}
	if v, err := src.SecretVersions(ctx, "shipwave/none"); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("SecretVersions of a missing secret = %q, %v; want release.ErrNotFound", v, err)
	}
}
