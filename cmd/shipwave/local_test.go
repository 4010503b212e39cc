package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/syncbuf"
)

// asMain makes the test binary act as the shipwave command, so the local
// fleet can run it as the demo service and load generator.
const asMain = "SHIPWAVE_CLI_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		return
	}
	os.Setenv(asMain, "1") // inherited by the processes the fleet starts
	os.Exit(m.Run())
}

func cliRun(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	err := run(ctx, args, strings.NewReader(""), &out, &errOut)
	return exitCode(err, &errOut), out.String(), errOut.String()
}

func TestLocalAndReleaseUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "local alone", args: []string{"local"}, wantCode: 2, wantErr: "usage: shipwave local"},
		{name: "local unknown", args: []string{"local", "nope"}, wantCode: 2, wantErr: `unknown command "nope"`},
		{name: "push without flags", args: []string{"local", "push"}, wantCode: 2, wantErr: "--pipeline and --version are required"},
		{name: "push bad flag", args: []string{"local", "push", "--bogus"}, wantCode: 2, wantErr: "flag provided but not defined"},
		{name: "event without file", args: []string{"local", "event"}, wantCode: 2, wantErr: "want one event file"},
		{name: "release alone", args: []string{"release"}, wantCode: 2, wantErr: "usage: shipwave release"},
		{name: "release unknown", args: []string{"release", "nope"}, wantCode: 2, wantErr: `unknown command "nope"`},
		{name: "show without id", args: []string{"release", "show"}, wantCode: 2, wantErr: "a release id is required"},
		{name: "show extra argument", args: []string{"release", "show", "a", "b"}, wantCode: 2, wantErr: `unexpected argument "b"`},
		{name: "no stack running", args: []string{"release", "list", "--api", "127.0.0.1:1"}, wantCode: 1, wantErr: "is `shipwave local up` running?"},
		{name: "log level", args: []string{"local", "demo", "--log-level", "loud", "--spec", "testdata/local/shop.yaml"}, wantCode: 2, wantErr: "--log-level"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cliRun(context.Background(), tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and stderr containing %q", code, stderr, tc.wantCode, tc.wantErr)
			}
		})
	}
}

func TestLocalUpPushAndRelease(t *testing.T) {
	t.Setenv("SHIPWAVE_STATE_DIR", t.TempDir())
	t.Setenv("SHIPWAVE_TOKEN", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	upDone := make(chan int, 1)
	upOut := &syncbuf.Buffer{}
	go func() {
		var errOut bytes.Buffer
		err := run(ctx, []string{"local", "up", "--api", api, "--spec", filepath.Join("testdata", "local", "shop.yaml"), "--spec", filepath.Join("testdata", "local", "slow.yaml")}, strings.NewReader(""), upOut, &errOut)
		upDone <- exitCode(err, &errOut)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-upDone:
			if code != 0 {
				t.Errorf("local up exited %d", code)
			}
		case <-time.After(30 * time.Second):
			t.Error("local up did not stop")
		}
	})
	// local up stores its token where every CLI command finds it.
	eventually.NoError(t, 60*time.Second, "local up to answer", func() error {
		_, err := apiClient(api).Status(context.Background())
		return err
	})

	// local up printed the token it stored for the CLI.
	m := regexp.MustCompile(`(?m)^token: (\S+)$`).FindStringSubmatch(upOut.String())
	if m == nil || m[1] != loadToken(api) {
		t.Fatalf("local up printed %q; want a token: line matching the stored token %q", upOut.String(), loadToken(api))
	}
	// Without the token the API refuses, and says what it needs.
	if code, _, stderr := cliRun(context.Background(), "local", "status", "--api", api); code != 0 {
		t.Fatalf("local status with the stored token: exit %d %s", code, stderr)
	}
	t.Setenv("SHIPWAVE_TOKEN", "wrong")
	if code, out, stderr := cliRun(context.Background(), "local", "status", "--api", api); code == 0 || !strings.Contains(out+stderr, "needs the stack's token") {
		t.Fatalf("local status with a wrong token: exit %d %s%s", code, out, stderr)
	}
	t.Setenv("SHIPWAVE_TOKEN", "")

	code, out, stderr := cliRun(context.Background(), "local", "push", "--api", api, "--pipeline", "shop", "--version", "v2", "--watch")
	if code != 0 || !strings.Contains(out, "ended SUCCEEDED") {
		t.Fatalf("local push --watch: exit %d\n%s\n%s", code, out, stderr)
	}
	id := regexp.MustCompile(`release (\S+) of shop`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no release id in %q", out)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{name: "list", args: []string{"release", "list", "--pipeline", "shop"}, want: id[1] + "  shop      v2       SUCCEEDED"},
		{name: "show", args: []string{"release", "show", id[1]}, want: "ReleaseSucceeded"},
		{name: "watch ended", args: []string{"release", "watch", id[1]}, want: "ended SUCCEEDED"},
		{name: "approve nothing waiting", args: []string{"release", "approve", id[1], "--actor", "me"}, wantCode: 1, want: "no approval waiting"},
		{name: "rollback ended", args: []string{"release", "rollback", id[1]}, wantCode: 1, want: "already ended SUCCEEDED"},
		{name: "status", args: []string{"local", "status"}, want: "100% on v2"},
		{name: "event", args: []string{"local", "event", filepath.Join("..", "..", "events", "alarm-state-change-ok.json")}, want: "no rule matched"},
		{name: "get tree", args: []string{"release", "get", id[1]}, want: "└── stage prod\n    └── wave prod\n        └── local:shop-a  [██████████] 100%  ✔ promoted  serving v2"},
		{name: "get next action", args: []string{"release", "get", id[1]}, want: "Next:      none: it succeeded"},
		{name: "get json", args: []string{"release", "get", id[1], "-o", "json"}, want: `"step": "promoted"`},
		{name: "get yaml", args: []string{"release", "get", id[1], "--output", "yaml"}, want: "step: promoted"},
		{name: "bad output", args: []string{"release", "get", id[1], "-o", "xml"}, wantCode: 2, want: "want table, json or yaml"},
		{name: "help exits 0", args: []string{"release", "promote", "--help"}, want: "usage: shipwave release"},
		{name: "promote ended", args: []string{"release", "promote", id[1]}, wantCode: 1, want: "already ended SUCCEEDED"},
		{name: "abort ended", args: []string{"release", "abort", id[1]}, wantCode: 1, want: "already ended SUCCEEDED"},
		{name: "retry", args: []string{"release", "retry", id[1]}, want: "nothing to retry: every target of shop (local:shop-a) already serves v2"},
		{name: "push", args: []string{"release", "push", "--pipeline", "shop", "--version", "v2"}, want: "nothing to push: every target of shop (local:shop-a) already serves v2"},
		{name: "push needs a version", args: []string{"release", "push", "--pipeline", "shop"}, wantCode: 2, want: "--pipeline and --version are required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := cliRun(context.Background(), append(tc.args, "--api", api)...)
			if code != tc.wantCode || !strings.Contains(out+stderr, tc.want) {
				t.Errorf("exit %d, output:\n%s%s\nwant exit %d and output containing %q", code, out, stderr, tc.wantCode, tc.want)
			}
		})
	}
	t.Run("watch on a terminal", func(t *testing.T) { testWatchOnATerminal(t, api) })
}
