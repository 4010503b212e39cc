package resultdynamo

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/loadtest/loadtesttest"
	"github.com/shipwave/shipwave/shared/release"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var fixedNow = func() time.Time { return time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC) }

// dynalite is one dynalite process shared by the package's tests, started on
// first use and stopped by TestMain.
// TODO: switch to shared/dynalite/dynalitetest once it lands on main.
var dynalite struct {
	once     sync.Once
	proc     *os.Process
	exited   chan error
	endpoint string
	err      error
	tables   atomic.Int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dynalite.proc != nil {
		_ = dynalite.proc.Kill()
		<-dynalite.exited
	}
	os.Exit(code)
}

// dynaliteBinary finds dynalite: $SHIPWAVE_DYNALITE, else node_modules/.bin
// in this directory or a parent.
func dynaliteBinary() (string, error) {
	if p := os.Getenv("SHIPWAVE_DYNALITE"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "node_modules", ".bin", "dynalite")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynalite not found: set SHIPWAVE_DYNALITE or run `make deps`")
		}
		dir = parent
	}
}

// startDynalite starts dynalite on a free loopback port and returns its
// endpoint, its process and a channel that receives its exit.
func startDynalite() (string, *os.Process, chan error, error) {
	bin, err := dynaliteBinary()
	if err != nil {
		return "", nil, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	addr := l.Addr().String()
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return "", nil, nil, fmt.Errorf("dynalite exited early: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr, cmd.Process, exited, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return "", nil, nil, errors.New("dynalite did not listen within 15s")
}

func newClient(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	dynalite.once.Do(func() {
		dynalite.endpoint, dynalite.proc, dynalite.exited, dynalite.err = startDynalite()
	})
	if dynalite.err != nil {
		tb.Fatalf("dynalite: %v", dynalite.err)
	}
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(dynalite.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// newTable creates an empty single table (PK, SK) and returns its name.
func newTable(tb testing.TB, c *dynamodb.Client) string {
	tb.Helper()
	name := fmt.Sprintf("shipwave-%d", dynalite.tables.Add(1))
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("SK"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		tb.Fatalf("create table %s: %v", name, err)
	}
	// Even with --createTableMs 0 the table turns ACTIVE asynchronously.
	for range 200 {
		out, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			tb.Fatalf("describe table %s: %v", name, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return name
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Fatalf("table %s never became ACTIVE", name)
	return ""
}

func TestContract(t *testing.T) {
	loadtesttest.TestStore(t, func(tb testing.TB) loadtesttest.Store {
		c := newClient(tb)
		return New(c, newTable(tb, c), fixedNow)
	})
}

func TestPagesThroughResults(t *testing.T) {
	c := newClient(t)
	s := New(c, newTable(t, c), fixedNow)
	s.pageSize = 2
	for task := range 5 {
		if err := s.Put(context.Background(), "run-1", task, loadtesttest.Result(t, task, 10)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Results(context.Background(), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[4].Task != 4 {
		t.Errorf("got %d results, want 5 across 3 pages", len(got))
	}
}

// TestItemGolden pins the stored item's shape.
func TestItemGolden(t *testing.T) {
	c := newClient(t)
	table := newTable(t, c)
	s := New(c, table, fixedNow)
	if err := s.Put(context.Background(), "run-1", 3, loadtesttest.Result(t, 3, 4)); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "LOADTEST#run-1"},
			"SK": &types.AttributeValueMemberS{Value: "TASK#000003"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		t.Fatal("no item at PK=LOADTEST#run-1 SK=TASK#000003")
	}
	shown := map[string]any{}
	for k, v := range out.Item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			shown[k] = map[string]string{"S": v.Value}
		case *types.AttributeValueMemberN:
			shown[k] = map[string]string{"N": v.Value}
		default:
			shown[k] = fmt.Sprintf("%T", v)
		}
	}
	got, err := json.MarshalIndent(shown, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "item.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("stored item differs from %s (run with -update if intended):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestCorruptItem(t *testing.T) {
	c := newClient(t)
	table := newTable(t, c)
	_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"PK":     &types.AttributeValueMemberS{Value: "LOADTEST#run-1"},
			"SK":     &types.AttributeValueMemberS{Value: "TASK#000001"},
			"result": &types.AttributeValueMemberS{Value: `{"task":1,"tasks":1,"mode":"rate","latency":"nope"}`},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(c, table, fixedNow).Results(context.Background(), "run-1")
	if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), `item "LOADTEST#run-1/TASK#000001"`) {
		t.Errorf("got %v, want an invalid error naming the item", err)
	}
}

func TestMissingTable(t *testing.T) {
	c := newClient(t)
	s := New(c, "no-such-table", fixedNow)
	err := s.Put(context.Background(), "run-1", 0, loadtesttest.Result(t, 0, 1))
	if err == nil || errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), "no-such-table") {
		t.Errorf("Put: got %v, want a DynamoDB error naming the table", err)
	}
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("Put: got %v, want it to wrap ResourceNotFoundException", err)
	}
	if _, err := s.Results(context.Background(), "run-1"); err == nil || !strings.Contains(err.Error(), "no-such-table") {
		t.Errorf("Results: got %v, want a DynamoDB error naming the table", err)
	}
}
