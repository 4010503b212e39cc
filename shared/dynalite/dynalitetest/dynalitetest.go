package dynalitetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/dynalite"
	"github.com/shipwave/shipwave/shared/store"
)

// EnvBin names the environment variable holding the dynalite binary's path;
// the Makefile sets it. Without it the binary is looked for in
// node_modules/.bin of the working directory or one of its parents.
const EnvBin = "SHIPWAVE_DYNALITE"

const hint = "run `make test` (it installs dynalite with npm and sets " + EnvBin + ")"

// shared is the per-test-binary server. A test binary is one process and
// its packages' tests share this one dynalite; Main owns its lifetime.
var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	srv     *dynalite.Server
	err     error
}

var tableSeq atomic.Int64

// Main runs the tests, stops the shared dynalite and exits with the tests'
// status; call it from TestMain. A dynalite that died during the run turns a
// passing run into a failing one.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain that does more after the
// tests; it returns the exit code.
func Run(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.inMain = false
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "dynalitetest:", err)
			if code == 0 {
				code = 1
			}
		}
		shared.srv = nil
	}
	return code
}

// Server returns the test binary's dynalite, starting it on first use. It
// fails the test if the package has no TestMain calling Main (the server
// would outlive the tests) or if dynalite cannot start.
func Server(t testing.TB) *dynalite.Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		t.Fatal("dynalitetest: add `func TestMain(m *testing.M) { dynalitetest.Main(m) }` to this package's tests so the shared dynalite is stopped when they end")
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = start()
	}
	if shared.err != nil {
		t.Fatalf("dynalitetest: %v; %s", shared.err, hint)
	}
	return shared.srv
}

// Own starts a dynalite of the test's own, for a test whose tables must
// be its alone (fixed table names, several runs with -count), and stops it
// when the test ends. It needs no TestMain; a missing dynalite fails the
// test.
func Own(t testing.TB) *dynalite.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := dynalite.Start(ctx, dynalite.Options{Bin: Bin(t)})
	if err != nil {
		t.Fatalf("dynalitetest: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("dynalitetest: %v", err)
		}
	})
	return srv
}

// Bin returns the dynalite binary's path, for tests that start their own
// dynalite.Server; it fails the test when there is none.
func Bin(t testing.TB) string {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		t.Fatalf("dynalitetest: %v; %s", err, hint)
	}
	return bin
}

func start() (*dynalite.Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return dynalite.Start(ctx, dynalite.Options{Bin: bin})
}

// findBin returns $SHIPWAVE_DYNALITE or the nearest node_modules/.bin/dynalite
// above the working directory.
func findBin() (string, error) {
	if bin := os.Getenv(EnvBin); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBin, bin, err)
		}
		return bin, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find dynalite: %w", err)
	}
	for {
		bin := filepath.Join(dir, "node_modules", ".bin", "dynalite")
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynalite not found: " + EnvBin + " is unset and no node_modules/.bin/dynalite above the working directory")
		}
		dir = parent
	}
}

// Client returns a DynamoDB client pointed at the shared dynalite.
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynalite.NewClient(Server(t).Endpoint())
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// Table creates a fresh table from store.TableDefinition with a name unique
// within the test binary, deletes it when the test ends, and returns a client
// and the table's name.
func Table(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	client := Client(t)
	name := unsafeName.ReplaceAllString(t.Name(), "_")
	if len(name) > 180 {
		name = name[:180]
	}
	name = fmt.Sprintf("%s-%d", name, tableSeq.Add(1))
	TableOn(t, client, name)
	return client, name
}

// TableOn creates the table store.TableDefinition describes, named name,
// through client (dynalite's or another DynamoDB's, such as moto's), and
// deletes it when the test ends.
func TableOn(t testing.TB, client *dynamodb.Client, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.CreateTable(ctx, client, name); err != nil {
		t.Fatalf("dynalitetest: create table %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var missing *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) {
			t.Errorf("dynalitetest: delete table %s: %v", name, err)
		}
	})
}
