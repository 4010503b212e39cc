package dynalite_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/dynalite"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/store"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func startServer(t testing.TB, opts dynalite.Options) *dynalite.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := dynalite.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func tableNames(t testing.TB, s *dynalite.Server) []string {
	t.Helper()
	out, err := dynalite.NewClient(s.Endpoint()).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	return out.TableNames
}

func TestStartBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts dynalite.Options
		want string
	}{
		{name: "no binary", opts: dynalite.Options{}, want: "make deps"},
		{name: "missing binary", opts: dynalite.Options{Bin: filepath.Join(t.TempDir(), "dynalite")}, want: "make deps"},
		{name: "binary exits", opts: dynalite.Options{Bin: "/bin/false"}, want: "exited before answering"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := dynalite.Start(context.Background(), tt.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Start(%+v) succeeded, want an error containing %q", tt.opts, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestStartAnswersAndCloseStopsProcessGroup(t *testing.T) {
	s := startServer(t, dynalite.Options{Bin: dynalitetest.Bin(t)})
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("Endpoint() = %q, want a loopback URL", s.Endpoint())
	}
	if got := tableNames(t, s); len(got) != 0 {
		t.Errorf("fresh server has tables %v, want none", got)
	}
	pid := s.PID()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close, kill(%d, 0) = %v, want ESRCH (process gone)", pid, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	client := dynalite.NewClient(s.Endpoint(), func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err == nil {
		t.Errorf("ListTables after Close succeeded, want a connection error")
	}
}

func TestCloseReportsUnexpectedExit(t *testing.T) {
	s := startServer(t, dynalite.Options{Bin: dynalitetest.Bin(t)})
	if err := syscall.Kill(s.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed 10s after the process was killed")
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "exited unexpectedly") {
		t.Errorf("Close after the process died = %v, want an 'exited unexpectedly' error", err)
	}
}

func TestDataDirPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	opts := dynalite.Options{Bin: dynalitetest.Bin(t), DataDir: dir}
	first := startServer(t, opts)
	if err := store.CreateTable(context.Background(), dynalite.NewClient(first.Endpoint()), "persisted"); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("data dir: %v", err)
	}
	second := startServer(t, opts)
	if got := tableNames(t, second); len(got) != 1 || got[0] != "persisted" {
		t.Errorf("tables after restart = %v, want [persisted]", got)
	}
}

// TestSurvivesAbortedRequests: a client that goes away half way through a
// request body (a cancelled context, a killed process) does not end the
// server, as it would end a bare dynalite.
func TestSurvivesAbortedRequests(t *testing.T) {
	s := startServer(t, dynalite.Options{Bin: dynalitetest.Bin(t)})
	host := strings.TrimPrefix(s.Endpoint(), "http://")
	for range 3 {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{\"Lim", host)
		conn.Close()
	}
	if got := tableNames(t, s); len(got) != 0 {
		t.Errorf("tables %v, want none", got)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v (the server died on an aborted request)", err)
	}
}
