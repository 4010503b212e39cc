package jobworker_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cp "github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/jobworker"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
)

func TestMain(m *testing.M) { os.Exit(mototest.Around(func() int { return dynalitetest.Run(m) })) }

const ordersSpec = `apiVersion: shipwave/v1
pipeline: orders
source: { repository: orders }
triggers: [{ codePipeline: {} }]
stages:
  - name: beta
    targets: [{ type: lambdaAlias, function: orders-beta }]
`

type starter struct {
	mu    sync.Mutex
	calls int
	fail  int
}

func (s *starter) Start(_ context.Context, r release.Release) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail > 0 {
		s.fail--
		return "", errors.New("states: throttled")
	}
	return "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:" + r.ID, nil
}

type world struct {
	fake    *awsfake.CodePipeline
	store   *store.Store
	starter *starter
	worker  *jobworker.Worker
	now     time.Time
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{starter: &starter{}, now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	now := func() time.Time { return w.now }
	client, table := dynalitetest.Table(t)
	w.store = store.New(client, table, store.WithNow(now))
	p, err := spec.Parse("orders.yaml", []byte(ordersSpec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "orders", Source: []byte(ordersSpec), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	w.fake = awsfake.NewCodePipeline(t)
	w.worker = &jobworker.Worker{
		Client:   cp.NewFromConfig(awsfake.Config(w.fake.URL())),
		Launcher: &triggers.Launcher{Specs: w.store, Releases: w.store, Starter: w.starter, Now: now},
		Releases: w.store, MaxWait: 2 * time.Hour, Now: now,
	}
	return w
}

// sample reads events/codepipeline-job.json with the job id and user
// parameters replaced.
func sample(t testing.TB, jobID, userParams, token string) events.CodePipelineJobEvent {
	t.Helper()
	raw, err := os.ReadFile("../../events/codepipeline-job.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CodePipelineJobEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.CodePipelineJob.ID = jobID
	if userParams != "" {
		ev.CodePipelineJob.Data.ActionConfiguration.Configuration.UserParameters = userParams
	}
	ev.CodePipelineJob.Data.ContinuationToken = token
	return ev
}

func (w *world) handle(t testing.TB, ev events.CodePipelineJobEvent) jobworker.Outcome {
	t.Helper()
	o, err := w.worker.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	return o
}

func (w *world) move(t testing.TB, id string, to release.Status, reason string) {
	t.Helper()
	if _, err := w.store.TransitionRelease(context.Background(), id, to, reason); err != nil {
		t.Fatalf("transition %s to %s: %v", id, to, err)
	}
}

func TestLambdaJobSucceeds(t *testing.T) {
	w := newWorld(t)
	job := w.fake.StartLambdaJob()
	first := sample(t, job, "", "")
	o := w.handle(t, first)
	if o.Result != "continued" || o.ReleaseID == "" {
		t.Fatalf("first call: got %+v, want continued with a release", o)
	}
	// CodePipeline (or Lambda's retry) delivers the first event again.
	if again := w.handle(t, first); again.ReleaseID != o.ReleaseID {
		t.Fatalf("redelivery started release %s, want the same %s", again.ReleaseID, o.ReleaseID)
	}
	rel, err := w.store.GetRelease(context.Background(), o.ReleaseID)
	if err != nil || rel.Version != "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5" || rel.Trigger.Kind != release.TriggerCodePipeline || rel.Trigger.Key != "codepipeline:"+job {
		t.Fatalf("got release %+v, %v; want the input revision, keyed on the job", rel, err)
	}
	token := "shipwave/v1/" + o.ReleaseID
	if j, _ := w.fake.Job(job); j.ContinuationToken != token {
		t.Fatalf("got continuation token %q, want %q", j.ContinuationToken, token)
	}
	w.move(t, rel.ID, release.StatusInProgress, "")
	if _, err := w.store.AppendEvent(context.Background(), release.Event{ReleaseID: rel.ID, Time: w.now, Type: release.EventTrafficShifted,
		Stage: "beta", Target: "orders-beta", Message: "10% on 59b20b8"}); err != nil {
		t.Fatal(err)
	}
	if o := w.handle(t, sample(t, job, "", token)); o.Result != "continued" {
		t.Fatalf("in progress: got %+v, want continued", o)
	}
	j, _ := w.fake.Job(job)
	if want := "Shipwave release " + rel.ID + " of orders is IN_PROGRESS: TrafficShifted beta/orders-beta — 10% on 59b20b8"; j.Summaries[len(j.Summaries)-1] != want {
		t.Errorf("got summary %q, want %q", j.Summaries[len(j.Summaries)-1], want)
	}
	w.move(t, rel.ID, release.StatusSucceeded, "")
	if o := w.handle(t, sample(t, job, "", token)); o.Result != "succeeded" {
		t.Fatalf("after success: got %+v, want succeeded", o)
	}
	j, _ = w.fake.Job(job)
	want := map[string]string{"releaseId": rel.ID, "version": rel.Version, "outcome": "SUCCEEDED", "pipeline": "orders"}
	if j.Status != "Succeeded" || len(j.OutputVariables) != len(want) {
		t.Fatalf("got job %+v, want Succeeded with %v", j, want)
	}
	for k, v := range want {
		if j.OutputVariables[k] != v {
			t.Errorf("output variable %s = %q, want %q", k, j.OutputVariables[k], v)
		}
	}
	// What was sent, in order: three continuations, then the success.
	reqs := w.fake.Requests()
	var ops []string
	for _, r := range reqs {
		ops = append(ops, r.Operation)
	}
	if got := strings.Join(ops, ","); got != "PutJobSuccessResult,PutJobSuccessResult,PutJobSuccessResult,PutJobSuccessResult" {
		t.Errorf("got calls %s", got)
	}
	if w.starter.calls != 1 {
		t.Errorf("got %d starts, want 1", w.starter.calls)
	}
}

func TestLambdaJobFailures(t *testing.T) {
	tests := []struct {
		name     string
		status   release.Status
		reason   string
		wantType string
		want     []string
	}{
		{name: "rolled back", status: release.StatusRolledBack, reason: "alarm orders-5xx went to ALARM", wantType: "JobFailed",
			want: []string{"ended ROLLED_BACK", "alarm orders-5xx", "Traffic is back on the last good version"}},
		{name: "failed dirty", status: release.StatusFailed, reason: "rollback failed", wantType: "JobFailed",
			want: []string{"ended FAILED", "needs a person", "shipwave release show"}},
		{name: "superseded", status: release.StatusSuperseded, wantType: "JobFailed", want: []string{"newer release"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			job := w.fake.StartLambdaJob()
			o := w.handle(t, sample(t, job, "", ""))
			if tt.status != release.StatusSuperseded {
				w.move(t, o.ReleaseID, release.StatusInProgress, "")
			}
			w.move(t, o.ReleaseID, tt.status, tt.reason)
			if got := w.handle(t, sample(t, job, "", "shipwave/v1/"+o.ReleaseID)); got.Result != "failed" {
				t.Fatalf("got %+v, want failed", got)
			}
			j, _ := w.fake.Job(job)
			if j.Status != "Failed" || j.FailureType != tt.wantType {
				t.Fatalf("got job %s %s, want Failed %s", j.Status, j.FailureType, tt.wantType)
			}
			for _, s := range tt.want {
				if !strings.Contains(j.FailureMessage, s) {
					t.Errorf("failure message %q lacks %q", j.FailureMessage, s)
				}
			}
			fr := w.fake.Requests("PutJobFailureResult")
			fd, _ := fr[len(fr)-1].Params["failureDetails"].(map[string]any)
			if fd["externalExecutionId"] != o.ReleaseID {
				t.Errorf("got externalExecutionId %v, want %s", fd["externalExecutionId"], o.ReleaseID)
			}
		})
	}
}

// TestJobForPipelineWithoutCodePipelineTrigger: a job naming a pipeline
// whose spec lists no codePipeline trigger fails as a configuration error
// saying so, and releases nothing.
func TestJobForPipelineWithoutCodePipelineTrigger(t *testing.T) {
	w := newWorld(t)
	src := strings.Replace(strings.Replace(ordersSpec, "triggers: [{ codePipeline: {} }]\n", "triggers: [{ chat: {} }]\n", 1), "pipeline: orders", "pipeline: chatonly", 1)
	p, err := spec.Parse("chatonly.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.SaveSpec(context.Background(), release.SpecVersion{Pipeline: "chatonly", Source: []byte(src), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	job := w.fake.StartLambdaJob()
	if got := w.handle(t, sample(t, job, `{"pipeline":"chatonly","version":"v1"}`, "")); got.Result != "failed" {
		t.Fatalf("got %+v, want failed", got)
	}
	j, _ := w.fake.Job(job)
	if j.FailureType != "ConfigurationError" || !strings.Contains(j.FailureMessage, "does not list a codePipeline trigger") {
		t.Errorf("got %s %q, want a ConfigurationError naming the missing trigger", j.FailureType, j.FailureMessage)
	}
	if rels, _, _ := w.store.ListReleases(context.Background(), "chatonly", 10, ""); len(rels) != 0 || w.starter.calls != 0 {
		t.Errorf("a refused job made %d releases and %d starts", len(rels), w.starter.calls)
	}
}

func TestLambdaJobBadInput(t *testing.T) {
	tests := []struct {
		name, params, token string
		noRevision          bool
		wantType, want      string
	}{
		{name: "no user parameters", params: " ", wantType: "ConfigurationError", want: "UserParameters is empty"},
		{name: "not json", params: "orders", wantType: "ConfigurationError", want: "UserParameters is not"},
		{name: "unknown field", params: `{"pipeline":"orders","stage":"x"}`, wantType: "ConfigurationError", want: "unknown field"},
		{name: "unknown pipeline", params: `{"pipeline":"payments"}`, wantType: "ConfigurationError", want: "cannot release payments"},
		{name: "no version", params: `{"pipeline":"orders"}`, noRevision: true, wantType: "ConfigurationError", want: "no version to release"},
		{name: "foreign continuation token", token: "someone-else", wantType: "JobFailed", want: "not issued by Shipwave"},
		{name: "release gone", token: "shipwave/v1/01JDX0RELEASE0000000000000", wantType: "JobFailed", want: "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			job := w.fake.StartLambdaJob()
			ev := sample(t, job, tt.params, tt.token)
			if tt.noRevision {
				ev.CodePipelineJob.Data.InputArtifacts = nil
			}
			if o := w.handle(t, ev); o.Result != "failed" {
				t.Fatalf("got %+v, want failed", o)
			}
			j, _ := w.fake.Job(job)
			if j.FailureType != tt.wantType || !strings.Contains(j.FailureMessage, tt.want) {
				t.Fatalf("got %s %q, want %s containing %q", j.FailureType, j.FailureMessage, tt.wantType, tt.want)
			}
			if rels, _, _ := w.store.ListReleases(context.Background(), "orders", 10, ""); len(rels) != 0 {
				t.Errorf("bad input created %d releases", len(rels))
			}
		})
	}
}

func TestMalformedEvent(t *testing.T) {
	w := newWorld(t)
	if _, err := w.worker.Handle(context.Background(), events.CodePipelineJobEvent{}); !errors.Is(err, release.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	if n := len(w.fake.Requests()); n != 0 {
		t.Errorf("a malformed event made %d calls", n)
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("shipwave gives up after MaxWait", func(t *testing.T) {
		w := newWorld(t)
		job := w.fake.StartLambdaJob()
		o := w.handle(t, sample(t, job, "", ""))
		w.move(t, o.ReleaseID, release.StatusInProgress, "")
		w.now = w.now.Add(2*time.Hour + time.Minute)
		if got := w.handle(t, sample(t, job, "", "shipwave/v1/"+o.ReleaseID)); got.Result != "failed" {
			t.Fatalf("got %+v, want failed", got)
		}
		if j, _ := w.fake.Job(job); !strings.Contains(j.FailureMessage, "gave up waiting after 2h1m") || !strings.Contains(j.FailureMessage, "still IN_PROGRESS") {
			t.Errorf("got message %q", j.FailureMessage)
		}
	})
	t.Run("codepipeline timed the job out first", func(t *testing.T) {
		w := newWorld(t)
		job := w.fake.StartLambdaJob()
		o := w.handle(t, sample(t, job, "", ""))
		w.fake.TimeOut(job)
		w.move(t, o.ReleaseID, release.StatusInProgress, "")
		w.move(t, o.ReleaseID, release.StatusSucceeded, "")
		if got := w.handle(t, sample(t, job, "", "shipwave/v1/"+o.ReleaseID)); got.Result != "skipped" {
			t.Fatalf("got %+v, want skipped", got)
		}
	})
}

func TestTransientFailures(t *testing.T) {
	t.Run("start fails: continue and start on the next call", func(t *testing.T) {
		w := newWorld(t)
		w.starter.fail = 1
		job := w.fake.StartLambdaJob()
		o := w.handle(t, sample(t, job, "", ""))
		j, _ := w.fake.Job(job)
		if o.Result != "continued" || j.ContinuationToken != "shipwave/v1/start" {
			t.Fatalf("got %+v token %q, want continued with the start token", o, j.ContinuationToken)
		}
		o = w.handle(t, sample(t, job, "", j.ContinuationToken))
		if o.Result != "continued" || o.ReleaseID == "" {
			t.Fatalf("retry: got %+v, want a started release", o)
		}
		if rels, _, _ := w.store.ListReleases(context.Background(), "orders", 10, ""); len(rels) != 1 {
			t.Errorf("got %d releases, want 1", len(rels))
		}
	})
	t.Run("codepipeline unreachable: error for Lambda to retry", func(t *testing.T) {
		w := newWorld(t)
		job := w.fake.StartLambdaJob()
		w.fake.Inject(awsfake.Fault{Status: http.StatusInternalServerError, Code: "InternalFailure"})
		if _, err := w.worker.Handle(context.Background(), sample(t, job, "", "")); err == nil {
			t.Fatal("got no error")
		}
		w.fake.ClearFaults()
		if o := w.handle(t, sample(t, job, "", "")); o.Result != "continued" {
			t.Fatalf("after recovery: got %+v", o)
		}
		if w.starter.calls != 1 {
			t.Errorf("got %d starts, want 1", w.starter.calls)
		}
	})
}

func TestCustomActionPoll(t *testing.T) {
	w := newWorld(t)
	job := w.fake.AddJob("Shipwave", `{"pipeline":"orders","version":"v2.1.0"}`, "abc")
	at := cptypes.ActionTypeId{Category: cptypes.ActionCategoryDeploy, Owner: cptypes.ActionOwnerCustom, Provider: aws.String("Shipwave"), Version: aws.String("1")}
	outs, err := w.worker.Poll(context.Background(), at, 5)
	if err != nil || len(outs) != 1 || outs[0].Result != "continued" {
		t.Fatalf("first poll: got %+v, %v", outs, err)
	}
	acks := w.fake.Requests("AcknowledgeJob")
	if len(acks) != 1 || acks[0].Params["jobId"] != job || acks[0].Params["nonce"] == "" {
		t.Fatalf("got acknowledgements %+v, want one for %s with its nonce", acks, job)
	}
	rel, err := w.store.GetRelease(context.Background(), outs[0].ReleaseID)
	if err != nil || rel.Version != "v2.1.0" {
		t.Fatalf("got %+v, %v; want version v2.1.0 from the parameters", rel, err)
	}
	w.move(t, rel.ID, release.StatusInProgress, "")
	w.move(t, rel.ID, release.StatusSucceeded, "")
	outs, err = w.worker.Poll(context.Background(), at, 5)
	if err != nil || len(outs) != 1 || outs[0].Result != "succeeded" {
		t.Fatalf("second poll: got %+v, %v", outs, err)
	}
	if j, _ := w.fake.Job(job); j.Status != "Succeeded" || j.OutputVariables["releaseId"] != rel.ID {
		t.Fatalf("got job %+v", j)
	}
	if outs, _ := w.worker.Poll(context.Background(), at, 5); len(outs) != 0 {
		t.Errorf("third poll ran %d jobs, want none", len(outs))
	}
}

func FuzzParseParams(f *testing.F) {
	for _, s := range []string{`{"pipeline":"orders"}`, `{"pipeline":"orders","version":"v1"}`, ``, `[]`, `{"pipeline":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := jobworker.ParseParams(s)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			return
		}
		if p.Pipeline == "" {
			t.Fatalf("accepted %q without a pipeline", s)
		}
	})
}
