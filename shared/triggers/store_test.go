package triggers_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

const machineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-release"

// stepFunctions is a Step Functions endpoint (AWS JSON 1.0) with the naming
// rule that makes starts idempotent: a name runs at most one execution.
type stepFunctions struct {
	mu       sync.Mutex
	byName   map[string]string // execution name → input
	calls    int
	failNext int // answer this many calls with a 500
}

func (s *stepFunctions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ StateMachineArn, Name, Input string }
	raw, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.StartExecution" || json.Unmarshal(raw, &in) != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnknownOperationException"}`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failNext > 0 {
		s.failNext--
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"__type":"ServiceUnavailable","message":"try again"}`)
		return
	}
	if s.byName == nil {
		s.byName = map[string]string{}
	}
	if prev, ok := s.byName[in.Name]; ok && prev != in.Input {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ExecutionAlreadyExists","message":"Execution Already Exists"}`)
		return
	}
	s.byName[in.Name] = in.Input
	arn, _ := sfn.ExecutionARN(in.StateMachineArn, in.Name)
	io.WriteString(w, `{"executionArn":"`+arn+`","startDate":1763791200}`)
}

type stack struct {
	db      *dynamodb.Client
	table   string
	store   *store.Store
	sfn     *stepFunctions
	handler *triggers.Handler
}

// newStack wires the handler to a real store on a fresh dynalite table and to
// the real Step Functions client talking to a local fake.
func newStack(t testing.TB, specs ...release.Pipeline) *stack {
	t.Helper()
	db, table := dynalitetest.Table(t)
	now := func() time.Time { return time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC) }
	st := store.New(db, table, store.WithNow(now))
	for _, p := range specs {
		if _, err := st.SaveSpec(context.Background(), release.SpecVersion{Pipeline: p.Name, Source: []byte("pipeline: " + p.Name), Parsed: p}); err != nil {
			t.Fatalf("save spec %s: %v", p.Name, err)
		}
	}
	fake := &stepFunctions{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := awssfn.New(awssfn.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "SECRET", ""),
	})
	return &stack{db: db, table: table, store: st, sfn: fake, handler: &triggers.Handler{
		Specs: st, Releases: st, Now: now,
		Starter: &sfn.Starter{Client: client, StateMachineARN: machineARN},
	}}
}

func sample(t testing.TB, name string) events.CloudWatchEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("../../events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

func (s *stack) itemCount(t testing.TB) int32 {
	t.Helper()
	out, err := s.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.table), Select: "COUNT"})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return out.Count
}

func pipeline(name, repo, branch string) release.Pipeline {
	return release.Pipeline{APIVersion: "shipwave/v1", Name: name, Source: release.Source{Repository: repo, Branch: branch},
		Triggers: []release.TriggerRule{{Push: &release.PushTrigger{}}}}
}

// TestStoreRedeliveredPushOneRelease is safety invariant 2 end to end: the
// same push delivered many times, concurrently, makes one release and one
// execution, recorded in the store.
func TestStoreRedeliveredPushOneRelease(t *testing.T) {
	s := newStack(t, pipeline("orders", "acme/orders-api", "main"))
	ev := sample(t, "webhook-github-push.json")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.handler.Handle(context.Background(), ev)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			t.Logf("concurrent delivery failed (EventBridge would retry): %v", err)
		}
	}
	// A delivery that loses a race may fail; EventBridge would retry it, and
	// so does the test.
	if failed > 0 {
		if _, err := s.handler.Handle(context.Background(), ev); err != nil {
			t.Fatalf("retry after %d failed deliveries: %v", failed, err)
		}
	}
	rels, _, err := s.store.ListReleases(context.Background(), "orders", 10, "")
	if err != nil {
		t.Fatalf("ListReleases: %v", err)
	}
	if len(rels) != 1 {
		t.Fatalf("stored %d releases, want 1: %+v", len(rels), rels)
	}
	rel := rels[0]
	wantARN, _ := sfn.ExecutionARN(machineARN, rel.ID)
	if rel.Execution != wantARN || rel.Version != "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5" || rel.SpecVersion != 1 {
		t.Errorf("release %+v, want version 59b20b8…, spec 1, execution %s", rel, wantARN)
	}
	if len(s.sfn.byName) != 1 {
		t.Errorf("Step Functions ran %d executions, want 1", len(s.sfn.byName))
	}
	evs, err := s.store.Events(context.Background(), rel.ID, 0, 100)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	// Concurrent deliveries may each note that they (idempotently) resumed
	// the start, even before the creator's ReleaseCreated lands; the log
	// must still hold exactly one creation and nothing but notes besides.
	created := 0
	for _, e := range evs {
		switch e.Type {
		case release.EventCreated:
			created++
		case release.EventNote:
		default:
			t.Errorf("unexpected event %s: %s", e.Type, e.Message)
		}
	}
	if created != 1 {
		t.Errorf("%d ReleaseCreated events, want exactly 1", created)
	}
}

// TestStoreResumeAfterFailedStart: Step Functions is down on the first
// delivery; the release is stored without an execution, and the redelivery
// starts it.
func TestStoreResumeAfterFailedStart(t *testing.T) {
	s := newStack(t, pipeline("orders", "orders-api", "main"))
	s.sfn.failNext = 1
	ev := sample(t, "codecommit-push.json")
	if _, err := s.handler.Handle(context.Background(), ev); err == nil {
		t.Fatal("first delivery: want an error while Step Functions is down")
	}
	rels, _, _ := s.store.ListReleases(context.Background(), "orders", 10, "")
	if len(rels) != 1 || rels[0].Execution != "" {
		t.Fatalf("after failed start: releases %+v, want one without execution", rels)
	}
	res, err := s.handler.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if pr := res.Pipelines[0]; pr.Outcome != triggers.OutcomeResumed || pr.ReleaseID != rels[0].ID {
		t.Errorf("redelivery: %+v, want resumed for %s", pr, rels[0].ID)
	}
	got, err := s.store.GetRelease(context.Background(), rels[0].ID)
	if err != nil || got.Execution == "" {
		t.Errorf("GetRelease = %+v, %v; want the execution recorded", got, err)
	}
}

// TestStoreBadEventsWriteNothing: rejected and ignored events leave the
// table exactly as it was.
func TestStoreBadEventsWriteNothing(t *testing.T) {
	s := newStack(t, pipeline("orders", "orders-api", "*"), pipeline("orders-gh", "acme/orders-api", "main"))
	before := s.itemCount(t)
	var files []string
	for _, pattern := range []string{"codecommit-*.json", "webhook-*.json", "push-*.json"} {
		m, _ := filepath.Glob(filepath.Join("../../events/negative", pattern))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no negative push samples in events/negative")
	}
	files = append(files, "../../events/codecommit-delete.json")
	for _, f := range files {
		rel, _ := filepath.Rel("../../events", f)
		_, err := s.handler.Handle(context.Background(), sample(t, rel))
		if rel != "codecommit-delete.json" && !errors.Is(err, release.ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", rel, err)
		}
	}
	if after := s.itemCount(t); after != before {
		t.Errorf("table has %d items after bad events, had %d", after, before)
	}
	if s.sfn.calls != 0 {
		t.Errorf("Step Functions called %d times, want 0", s.sfn.calls)
	}
}
