package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/fleet/demo"
)

func TestDemoServiceExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "crash on start", args: []string{"demo-service", "--version", "v1", "--crash-on-start"}, wantCode: 1, wantErr: "crashing on start"},
		{name: "missing version", args: []string{"demo-service"}, wantCode: 2, wantErr: "--version is required"},
		{name: "bad flag", args: []string{"demo-service", "--version", "v1", "--error-rate", "x"}, wantCode: 2, wantErr: "error-rate"},
		{name: "help", args: []string{"demo-service", "-h"}, wantCode: 0, wantErr: "-crash-on-start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
			code := exitCode(err, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and stderr containing %q", code, stderr.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}

func TestDemoServiceServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"demo-service", "--version", "v9", "--instance", "i-9"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("read announcement: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), demo.Announce)
	if !ok {
		t.Fatalf("announcement %q", line)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"version":"v9"`) || !strings.Contains(string(body), `"instance":"i-9"`) {
		t.Errorf("GET / = %d %s, want 200 with version v9 and instance i-9", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after SIGTERM-like cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("demo-service did not stop within 5s of cancellation")
	}
}
