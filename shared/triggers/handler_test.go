package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/shipwave/shipwave/shared/release"
)

// harness wires a Handler to in-memory fakes and records what it did.
type harness struct {
	store       *memStore
	starter     *memStarter
	specs       *specsFake
	releases    *releasesFake
	start       *starterFake
	differ      *differFake
	differFiles []string
	differCalls []string // "repo before..after"
	logs        *bytes.Buffer
	h           *Handler
}

func newHarness(t testing.TB, specs ...release.SpecVersion) *harness {
	t.Helper()
	hs := &harness{store: newMemStore(specs...), starter: &memStarter{}, logs: &bytes.Buffer{}}
	hs.specs = hs.store.specsFake()
	hs.releases = hs.store.releasesFake()
	hs.start = hs.starter.fake()
	hs.differ = &differFake{ChangedFilesFn: func(_ context.Context, repo, before, after string) ([]string, error) {
		hs.differCalls = append(hs.differCalls, repo+" "+before+".."+after)
		return hs.differFiles, nil
	}}
	hs.h = &Handler{
		Specs: hs.specs, Releases: hs.releases, Starter: hs.start, Differ: hs.differ,
		Now:    func() time.Time { return testNow },
		Logger: slog.New(slog.NewJSONHandler(hs.logs, nil)),
	}
	return hs
}

// spec builds a stored spec version of a pipeline with the given source and
// trigger rules; no rules means one `push: {}` (the source's filters).
func spec(name string, version int, src release.Source, rules ...release.TriggerRule) release.SpecVersion {
	if len(rules) == 0 {
		rules = []release.TriggerRule{push(release.PushTrigger{})}
	}
	return specRules(name, version, src, rules)
}

// specRules is spec with exactly rules (none: started manually only).
func specRules(name string, version int, src release.Source, rules []release.TriggerRule) release.SpecVersion {
	return release.SpecVersion{
		Pipeline: name, Version: version, CreatedAt: testNow,
		Parsed: release.Pipeline{APIVersion: "shipwave/v1", Name: name, Source: src, Triggers: rules},
	}
}

func push(pt release.PushTrigger) release.TriggerRule { return release.TriggerRule{Push: &pt} }

func byPipeline(res Result) map[string]PipelineResult {
	m := map[string]PipelineResult{}
	for _, pr := range res.Pipelines {
		m[pr.Pipeline] = pr
	}
	return m
}

type want struct {
	outcome Outcome
	reason  string // substring
}

func TestHandle(t *testing.T) {
	cc := release.Source{Repository: "orders-api", Branch: "main"}
	gh := release.Source{Repository: "acme/orders-api", Branch: "main"}
	tests := []struct {
		name        string
		file        string
		specs       []release.SpecVersion
		differFiles []string
		want        map[string]want
		wantDiffer  []string
	}{
		{
			name:  "codecommit push to the source branch releases",
			file:  "codecommit-push.json",
			specs: []release.SpecVersion{spec("orders", 4, cc)},
			want:  map[string]want{"orders": {outcome: OutcomeReleased}},
		},
		{
			name: "branch filters per pipeline",
			file: "codecommit-push.json",
			specs: []release.SpecVersion{
				spec("orders", 1, cc),
				spec("orders-dev", 1, release.Source{Repository: "orders-api", Branch: "develop"}),
				spec("orders-any", 1, release.Source{Repository: "orders-api"}, push(release.PushTrigger{Branches: []string{"{main,release/*}"}})),
				spec("orders-nobranch", 1, release.Source{Repository: "orders-api"}),
			},
			want: map[string]want{
				"orders":          {outcome: OutcomeReleased},
				"orders-dev":      {outcome: OutcomeSkipped, reason: `triggers[0].push: branch "main" matches none of [develop]`},
				"orders-any":      {outcome: OutcomeReleased},
				"orders-nobranch": {outcome: OutcomeSkipped, reason: "no branch filter (source.branch is empty)"},
			},
		},
		{
			name: "the spec's triggers are the authority: no push trigger, no release",
			file: "codecommit-push.json",
			specs: []release.SpecVersion{
				specRules("manual-only", 1, cc, nil),
				specRules("chat-only", 1, cc, []release.TriggerRule{{Chat: &struct{}{}}}),
				specRules("chat-and-push", 1, cc, []release.TriggerRule{{Chat: &struct{}{}}, push(release.PushTrigger{})}),
			},
			want: map[string]want{
				"manual-only":   {outcome: OutcomeSkipped, reason: "lists no triggers, so it is started manually only"},
				"chat-only":     {outcome: OutcomeSkipped, reason: "does not list a push trigger (triggers: chat)"},
				"chat-and-push": {outcome: OutcomeReleased},
			},
		},
		{
			name:        "codecommit path filter asks the differ and matches",
			file:        "codecommit-push.json",
			specs:       []release.SpecVersion{spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main", Paths: []string{"src/**"}})},
			differFiles: []string{"README.md", "src/orders/api.go"},
			want:        map[string]want{"orders": {outcome: OutcomeReleased}},
			wantDiffer:  []string{"orders-api 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b..3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1"},
		},
		{
			name: "codecommit path filter skips, differ asked once for all pipelines",
			file: "codecommit-push.json",
			specs: []release.SpecVersion{
				spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main", Paths: []string{"src/**"}}),
				spec("docs", 1, release.Source{Repository: "orders-api", Branch: "main", Ignore: []string{"**/*.md"}}),
				spec("site", 1, release.Source{Repository: "orders-api", Branch: "main", Paths: []string{"**/*.md"}}),
			},
			differFiles: []string{"README.md", "docs/guide.md"},
			want: map[string]want{
				"orders": {outcome: OutcomeSkipped, reason: "none of 2 changed files matches paths [src/**]"},
				"docs":   {outcome: OutcomeSkipped, reason: "none of 2 changed files matches any path outside ignore [**/*.md]"},
				"site":   {outcome: OutcomeReleased},
			},
			wantDiffer: []string{"orders-api 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b..3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1"},
		},
		{
			name: "tag push needs a tags filter and ignores paths",
			file: "codecommit-tag.json",
			specs: []release.SpecVersion{
				spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main", Tags: []string{"v[0-9]*"}, Paths: []string{"src/**"}}),
				spec("orders-branch-only", 1, cc),
				spec("orders-rc", 1, cc, push(release.PushTrigger{Tags: []string{"*-rc*"}})),
			},
			want: map[string]want{
				"orders":             {outcome: OutcomeReleased},
				"orders-branch-only": {outcome: OutcomeSkipped, reason: "tag pushes not enabled"},
				"orders-rc":          {outcome: OutcomeSkipped, reason: `triggers[0].push: tag "v1.4.0" matches none of [*-rc*]`},
			},
		},
		{
			name: "github push with trigger rule paths and ignore",
			file: "webhook-github-push.json",
			specs: []release.SpecVersion{
				spec("orders", 2, gh, push(release.PushTrigger{Paths: []string{"src/**"}, Ignore: []string{"**/*.md"}})),
				spec("deploy", 1, gh, push(release.PushTrigger{Paths: []string{"deploy/**"}})),
				spec("docs-only", 1, gh, push(release.PushTrigger{Paths: []string{"**/*.go"}, Ignore: []string{"src/**"}})),
			},
			want: map[string]want{
				"orders":    {outcome: OutcomeReleased},
				"deploy":    {outcome: OutcomeSkipped, reason: "triggers[0].push: none of 4 changed files matches paths [deploy/**]"},
				"docs-only": {outcome: OutcomeSkipped, reason: "outside ignore [src/**]"},
			},
		},
		{
			name: "any of several push rules may match",
			file: "webhook-gitlab-push.json",
			specs: []release.SpecVersion{
				spec("orders", 1, release.Source{Repository: "acme/platform/orders-api", Branch: "main"},
					push(release.PushTrigger{Branches: []string{"main"}}),
					release.TriggerRule{Schedule: &release.ScheduleTrigger{Cron: "0 2 * * ? *"}},
					push(release.PushTrigger{Branches: []string{"release/*"}, Paths: []string{"src/**"}})),
				spec("orders-none", 1, release.Source{Repository: "acme/platform/orders-api", Branch: "main"},
					push(release.PushTrigger{Branches: []string{"main"}}),
					push(release.PushTrigger{Branches: []string{"hotfix/*"}})),
			},
			want: map[string]want{
				"orders":      {outcome: OutcomeReleased},
				"orders-none": {outcome: OutcomeSkipped, reason: `triggers[0].push: branch "release/2026.11" matches none of [main]; triggers[1].push: branch "release/2026.11" matches none of [hotfix/*]`},
			},
		},
		{
			name:  "no pipelines for the repository",
			file:  "webhook-github-push.json",
			specs: []release.SpecVersion{spec("orders", 1, cc)},
			want:  map[string]want{},
		},
		{
			name:  "spec with a bad pattern is skipped",
			file:  "codecommit-push.json",
			specs: []release.SpecVersion{spec("orders", 7, cc, push(release.PushTrigger{Paths: []string{"src/[x"}}))},
			want:  map[string]want{"orders": {outcome: OutcomeSkipped, reason: "spec v7 has a bad filter: triggers[0].push.paths[0]: glob \"src/[x\": unterminated '['"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.specs...)
			hs.differFiles = tt.differFiles
			res, err := hs.h.Handle(context.Background(), loadEvent(t, tt.file))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			got := byPipeline(res)
			if len(got) != len(tt.want) {
				t.Errorf("got results for %d pipelines (%+v), want %d", len(got), res.Pipelines, len(tt.want))
			}
			released := 0
			for name, w := range tt.want {
				pr, ok := got[name]
				if !ok {
					t.Errorf("no result for pipeline %s", name)
					continue
				}
				if pr.Outcome != w.outcome || !strings.Contains(pr.Reason, w.reason) {
					t.Errorf("%s: got %s %q, want %s containing %q", name, pr.Outcome, pr.Reason, w.outcome, w.reason)
				}
				if w.outcome == OutcomeReleased {
					released++
					checkStarted(t, hs, pr, res.Trigger)
				}
			}
			if len(hs.starter.started) != released {
				t.Errorf("started %d executions, want %d", len(hs.starter.started), released)
			}
			if strings.Join(hs.differCalls, "|") != strings.Join(tt.wantDiffer, "|") {
				t.Errorf("differ calls = %q, want %q", hs.differCalls, tt.wantDiffer)
			}
		})
	}
}

// checkStarted verifies that a released pipeline's release is stored, has its
// execution recorded and a ReleaseCreated event carrying the trigger.
func checkStarted(t testing.TB, hs *harness, pr PipelineResult, trigger *release.Trigger) {
	t.Helper()
	rel, ok := hs.store.releases[pr.ReleaseID]
	if !ok {
		t.Errorf("%s: release %q not stored", pr.Pipeline, pr.ReleaseID)
		return
	}
	if rel.Pipeline != pr.Pipeline || rel.Status != release.StatusPending || rel.Version != trigger.Commit || rel.Trigger.Key != trigger.Key {
		t.Errorf("%s: stored release %+v, want pending %s at %s with key %s", pr.Pipeline, rel, pr.Pipeline, trigger.Commit, trigger.Key)
	}
	if rel.SpecVersion != pr.SpecVersion || rel.SpecVersion == 0 {
		t.Errorf("%s: release spec version %d, result says %d", pr.Pipeline, rel.SpecVersion, pr.SpecVersion)
	}
	if rel.Execution == "" || rel.Execution != pr.Execution {
		t.Errorf("%s: execution stored %q, result %q; want the same non-empty ARN", pr.Pipeline, rel.Execution, pr.Execution)
	}
	evs := hs.store.events[rel.ID]
	if len(evs) != 1 || evs[0].Type != release.EventCreated {
		t.Fatalf("%s: events %+v, want one ReleaseCreated", pr.Pipeline, evs)
	}
	var got release.Trigger
	if err := json.Unmarshal(evs[0].Data, &got); err != nil || got.Key != trigger.Key {
		t.Errorf("%s: ReleaseCreated data %s (err %v), want the trigger with key %s", pr.Pipeline, evs[0].Data, err, trigger.Key)
	}
}

// TestHandleRedeliveryCreatesOneRelease delivers the same event several times,
// as EventBridge may: one release, one execution.
func TestHandleRedeliveryCreatesOneRelease(t *testing.T) {
	for _, file := range []string{"codecommit-push.json", "webhook-github-push.json"} {
		t.Run(file, func(t *testing.T) {
			hs := newHarness(t,
				spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main"}),
				spec("orders-gh", 1, release.Source{Repository: "acme/orders-api", Branch: "main"}))
			var ids []string
			for i := range 3 {
				res, err := hs.h.Handle(context.Background(), loadEvent(t, file))
				if err != nil {
					t.Fatalf("delivery %d: %v", i+1, err)
				}
				if len(res.Pipelines) != 1 {
					t.Fatalf("delivery %d: results %+v, want one pipeline", i+1, res.Pipelines)
				}
				pr := res.Pipelines[0]
				wantOutcome := OutcomeReleased
				if i > 0 {
					wantOutcome = OutcomeDuplicate
				}
				if pr.Outcome != wantOutcome || pr.Execution == "" {
					t.Errorf("delivery %d: outcome %s execution %q, want %s with the execution", i+1, pr.Outcome, pr.Execution, wantOutcome)
				}
				ids = append(ids, pr.ReleaseID)
			}
			if len(hs.store.releases) != 1 || ids[0] != ids[1] || ids[1] != ids[2] {
				t.Errorf("releases %d with ids %q, want one release", len(hs.store.releases), ids)
			}
			if len(hs.starter.started) != 1 {
				t.Errorf("started %d executions, want 1", len(hs.starter.started))
			}
		})
	}
}

// TestHandleResumesUnstartedRelease covers a crash between creating a release
// and starting it: the redelivery starts it, once.
func TestHandleResumesUnstartedRelease(t *testing.T) {
	tests := []struct {
		name   string
		breakH func(hs *harness) (restore func())
	}{
		{name: "start failed", breakH: func(hs *harness) func() {
			ok := hs.start.StartFn
			hs.start.StartFn = func(context.Context, release.Release) (string, error) {
				return "", errors.New("ThrottlingException: rate exceeded")
			}
			return func() { hs.start.StartFn = ok }
		}},
		{name: "set execution failed after start", breakH: func(hs *harness) func() {
			ok := hs.releases.SetExecutionFn
			hs.releases.SetExecutionFn = func(context.Context, string, string) error {
				return errors.New("ProvisionedThroughputExceeded")
			}
			return func() { hs.releases.SetExecutionFn = ok }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main"}))
			restore := tt.breakH(hs)
			res, err := hs.h.Handle(context.Background(), loadEvent(t, "codecommit-push.json"))
			if err == nil {
				t.Fatalf("first delivery: want an error so EventBridge retries, got %+v", res)
			}
			if pr := res.Pipelines[0]; pr.Outcome != OutcomeFailed || pr.ReleaseID == "" {
				t.Errorf("first delivery: %+v, want failed with the release id", pr)
			}
			restore()
			res, err = hs.h.Handle(context.Background(), loadEvent(t, "codecommit-push.json"))
			if err != nil {
				t.Fatalf("redelivery: %v", err)
			}
			pr := res.Pipelines[0]
			if pr.Outcome != OutcomeResumed || pr.Execution == "" {
				t.Errorf("redelivery: %+v, want resumed with an execution", pr)
			}
			rel := hs.store.releases[pr.ReleaseID]
			if rel.Execution != pr.Execution || len(hs.store.releases) != 1 {
				t.Errorf("stored %d releases, execution %q; want one with %q", len(hs.store.releases), rel.Execution, pr.Execution)
			}
			if len(hs.starter.started) != 1 {
				t.Errorf("started %d distinct executions, want 1", len(hs.starter.started))
			}
			evs := hs.store.events[rel.ID]
			if len(evs) != 2 || evs[0].Type != release.EventCreated || evs[1].Type != release.EventNote || evs[1].Seq != 2 {
				t.Errorf("events %+v, want ReleaseCreated then a resume Note", evs)
			}
		})
	}
}

// TestHandleRejectsWithoutWriting feeds every negative sample and every
// ignored sample: errors for the first, nothing stored or started for both.
func TestHandleRejectsWithoutWriting(t *testing.T) {
	files := pushSamples(t, filepath.Join(eventsDir, "negative"))
	files = append(files, filepath.Join(eventsDir, "codecommit-delete.json"))
	for _, path := range files {
		rel, _ := filepath.Rel(eventsDir, path)
		t.Run(rel, func(t *testing.T) {
			hs := newHarness(t, spec("orders", 1, release.Source{Repository: "orders-api", Branch: "*"}),
				spec("orders-gh", 1, release.Source{Repository: "acme/orders-api", Branch: "main"}))
			res, err := hs.h.Handle(context.Background(), loadEvent(t, rel))
			ignored := rel == "codecommit-delete.json"
			switch {
			case ignored && (err != nil || res.Ignored == ""):
				t.Errorf("Handle = %+v, %v; want ignored and no error", res, err)
			case !ignored && !errors.Is(err, release.ErrInvalid):
				t.Errorf("Handle error = %v, want ErrInvalid", err)
			}
			if hs.store.reads != 0 || hs.store.writes != 0 || len(hs.starter.started) != 0 {
				t.Errorf("reads %d, writes %d, started %d; want nothing touched", hs.store.reads, hs.store.writes, len(hs.starter.started))
			}
			if !ignored && !strings.Contains(hs.logs.String(), `"msg":"rejected event"`) {
				t.Errorf("log %s: want a 'rejected event' record", hs.logs)
			}
		})
	}
}

// TestHandleFailedLookupWritesNothing: when any read fails, no pipeline gets
// a release, even one that matched before the failure.
func TestHandleFailedLookupWritesNothing(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		breakFn func(hs *harness)
		want    string
	}{
		{name: "pipelines lookup", file: "codecommit-push.json", breakFn: func(hs *harness) {
			hs.specs.PipelinesByRepositoryFn = func(context.Context, string) ([]string, error) {
				return nil, errors.New("RequestTimeout")
			}
		}, want: "pipelines of repository orders-api: RequestTimeout"},
		{name: "second spec", file: "codecommit-push.json", breakFn: func(hs *harness) {
			ok := hs.specs.GetSpecFn
			hs.specs.GetSpecFn = func(ctx context.Context, p string, v int) (release.SpecVersion, error) {
				if p == "orders-b" {
					return release.SpecVersion{}, errors.New("InternalServerError")
				}
				return ok(ctx, p, v)
			}
		}, want: "spec of pipeline orders-b: InternalServerError"},
		{name: "differ", file: "codecommit-push.json", breakFn: func(hs *harness) {
			hs.differ.ChangedFilesFn = func(context.Context, string, string, string) ([]string, error) {
				return nil, errors.New("CommitDoesNotExistException")
			}
		}, want: "changed files of orders-api 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b..3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1: CommitDoesNotExistException"},
		{name: "no differ", file: "codecommit-push.json", breakFn: func(hs *harness) {
			hs.h.Differ = nil
		}, want: "has no Differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t,
				spec("orders-a", 1, release.Source{Repository: "orders-api", Branch: "main"}),
				spec("orders-b", 1, release.Source{Repository: "orders-api", Branch: "main", Paths: []string{"src/**"}}))
			tt.breakFn(hs)
			_, err := hs.h.Handle(context.Background(), loadEvent(t, tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Handle error = %v, want one containing %q", err, tt.want)
			}
			if hs.store.writes != 0 || len(hs.starter.started) != 0 {
				t.Errorf("writes %d, started %d; want none", hs.store.writes, len(hs.starter.started))
			}
		})
	}
}

// TestHandleOneFailureDoesNotStopOthers: a write failing for one pipeline
// still releases the others, and the error makes EventBridge retry.
func TestHandleOneFailureDoesNotStopOthers(t *testing.T) {
	hs := newHarness(t,
		spec("a", 1, release.Source{Repository: "orders-api", Branch: "main"}),
		spec("b", 1, release.Source{Repository: "orders-api", Branch: "main"}),
		spec("c", 1, release.Source{Repository: "orders-api", Branch: "main"}))
	ok := hs.releases.CreateReleaseFn
	hs.releases.CreateReleaseFn = func(ctx context.Context, r release.Release) (release.Release, bool, error) {
		if r.Pipeline == "b" {
			return release.Release{}, false, errors.New("ConditionalCheckFailed on a corrupt item")
		}
		return ok(ctx, r)
	}
	res, err := hs.h.Handle(context.Background(), loadEvent(t, "codecommit-push.json"))
	if err == nil || !strings.Contains(err.Error(), "launch b for") {
		t.Fatalf("Handle error = %v, want one naming pipeline b", err)
	}
	got := byPipeline(res)
	if got["a"].Outcome != OutcomeReleased || got["b"].Outcome != OutcomeFailed || got["c"].Outcome != OutcomeReleased {
		t.Errorf("outcomes a=%s b=%s c=%s, want released, failed, released", got["a"].Outcome, got["b"].Outcome, got["c"].Outcome)
	}
	// The retry releases b and leaves a and c alone.
	hs.releases.CreateReleaseFn = ok
	res, err = hs.h.Handle(context.Background(), loadEvent(t, "codecommit-push.json"))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	got = byPipeline(res)
	if got["a"].Outcome != OutcomeDuplicate || got["b"].Outcome != OutcomeReleased || got["c"].Outcome != OutcomeDuplicate {
		t.Errorf("retry outcomes a=%s b=%s c=%s, want duplicate, released, duplicate", got["a"].Outcome, got["b"].Outcome, got["c"].Outcome)
	}
	if len(hs.starter.started) != 3 {
		t.Errorf("started %d executions, want 3", len(hs.starter.started))
	}
}

// TestHandleSkipsStaleIndexAndMissingSpec: the repository index may name a
// pipeline whose latest spec moved elsewhere or has no spec.
func TestHandleSkipsStaleIndexAndMissingSpec(t *testing.T) {
	hs := newHarness(t, spec("moved", 3, release.Source{Repository: "payments", Branch: "main"}))
	hs.specs.PipelinesByRepositoryFn = func(context.Context, string) ([]string, error) {
		return []string{"moved", "gone"}, nil
	}
	res, err := hs.h.Handle(context.Background(), loadEvent(t, "codecommit-push.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := byPipeline(res)
	if pr := got["moved"]; pr.Outcome != OutcomeSkipped || pr.Reason != `spec v3 releases from repository "payments"` {
		t.Errorf("moved: %+v, want skipped for the other repository", pr)
	}
	if pr := got["gone"]; pr.Outcome != OutcomeSkipped || pr.Reason != "pipeline has no spec" {
		t.Errorf("gone: %+v, want skipped for no spec", pr)
	}
}

// TestHandleRepushOfOldCommitIsNewRelease: force-pushing a branch back to a
// commit it had before is a new push (different before), so a new release.
func TestHandleRepushOfOldCommitIsNewRelease(t *testing.T) {
	hs := newHarness(t, spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main"}))
	first := loadEvent(t, "codecommit-push.json")
	second := editDetail(t, first, func(ev *events.CloudWatchEvent, d map[string]any) {
		ev.ID = "redo"
		d["oldCommitId"] = "1111111111111111111111111111111111111111"
	})
	for _, ev := range []events.CloudWatchEvent{first, second} {
		res, err := hs.h.Handle(context.Background(), ev)
		if err != nil || res.Pipelines[0].Outcome != OutcomeReleased {
			t.Fatalf("Handle(%s) = %+v, %v; want released", ev.ID, res, err)
		}
	}
	if len(hs.store.releases) != 2 {
		t.Errorf("stored %d releases, want 2", len(hs.store.releases))
	}
}

// TestHandleLargePushStoresNoFileList keeps release items small.
func TestHandleLargePushStoresNoFileList(t *testing.T) {
	hs := newHarness(t, spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main", Paths: []string{"src/**"}}))
	for i := range MaxStoredFiles + 1 {
		hs.differFiles = append(hs.differFiles, "src/f"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
	}
	res, err := hs.h.Handle(context.Background(), loadEvent(t, "codecommit-push.json"))
	if err != nil || res.Pipelines[0].Outcome != OutcomeReleased {
		t.Fatalf("Handle = %+v, %v; want released", res, err)
	}
	if files := hs.store.releases[res.Pipelines[0].ReleaseID].Trigger.ChangedFiles; files != nil {
		t.Errorf("stored %d changed files, want none above %d", len(files), MaxStoredFiles)
	}
}

// TestHandleLogs checks the records an operator relies on: the Lambda
// request id, the event id and the release id of a released pipeline.
func TestHandleLogs(t *testing.T) {
	hs := newHarness(t, spec("orders", 1, release.Source{Repository: "orders-api", Branch: "main"}))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	res, err := hs.h.Handle(ctx, loadEvent(t, "codecommit-push.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(hs.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if rec["msg"] == "push handled" {
			found = true
			if rec["requestId"] != "req-42" || rec["eventId"] != "1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d" || rec["releaseId"] != res.Pipelines[0].ReleaseID || rec["pipeline"] != "orders" {
				t.Errorf("log record %v, want requestId, eventId, pipeline and releaseId", rec)
			}
		}
	}
	if !found {
		t.Errorf("no 'push handled' record in %s", hs.logs)
	}
}

// TestHandleRedeliveredPushSkipsNewerPipelines: a push the receiver saw
// before (firstDelivered) releases only pipelines that existed then.
func TestHandleRedeliveredPushSkipsNewerPipelines(t *testing.T) {
	gh := release.Source{Repository: "acme/orders-api", Branch: "main"}
	old := spec("orders", 1, gh)
	old.CreatedAt = testNow.Add(-2 * time.Hour)
	hs := newHarness(t, old, spec("orders-new", 1, gh))
	ev := loadEvent(t, "webhook-github-push.json")
	var detail map[string]any
	if err := json.Unmarshal(ev.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	detail["firstDelivered"] = testNow.Add(-time.Hour).Format(time.RFC3339)
	ev.Detail, _ = json.Marshal(detail)
	res, err := hs.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	got := byPipeline(res)
	if got["orders"].Outcome != OutcomeReleased {
		t.Errorf("pipeline created before the first delivery: %+v, want released", got["orders"])
	}
	if pr := got["orders-new"]; pr.Outcome != OutcomeSkipped || !strings.Contains(pr.Reason, "before pipeline orders-new was created") {
		t.Errorf("pipeline created after the first delivery: %+v, want skipped saying why", pr)
	}
	if n := len(hs.store.releases); n != 1 {
		t.Errorf("stored %d releases, want 1", n)
	}
}

// TestHandleIncompleteFileList: a webhook push whose receiver dropped file
// lists (FilesIncomplete) releases a path-filtered pipeline that none of
// its listed files matches, without asking the CodeCommit Differ, since an
// unlisted file may match; a complete list with the same files does not.
func TestHandleIncompleteFileList(t *testing.T) {
	for _, incomplete := range []bool{true, false} {
		t.Run(fmt.Sprint("incomplete=", incomplete), func(t *testing.T) {
			hs := newHarness(t, spec("infra", 1, release.Source{Repository: "acme/orders-api", Branch: "main", Paths: []string{"infra/**"}}))
			ev := loadEvent(t, "webhook-github-push.json")
			var detail map[string]any
			if err := json.Unmarshal(ev.Detail, &detail); err != nil {
				t.Fatal(err)
			}
			detail["filesIncomplete"] = incomplete
			ev.Detail, _ = json.Marshal(detail)
			res, err := hs.h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			want := OutcomeSkipped
			if incomplete {
				want = OutcomeReleased
			}
			if got := res.Pipelines[0].Outcome; got != want || len(hs.differCalls) != 0 {
				t.Errorf("outcome = %s (%s), differ calls %v; want %s and no differ call", got, res.Pipelines[0].Reason, hs.differCalls, want)
			}
		})
	}
}

// TestHandleRefusesOtherAccounts: with Account set, an event from another
// account is refused as invalid and writes nothing; the own account's
// event releases.
func TestHandleRefusesOtherAccounts(t *testing.T) {
	for _, tt := range []struct {
		account string
		want    Outcome
	}{{"123456789012", OutcomeReleased}, {"999999999999", ""}} {
		t.Run(tt.account, func(t *testing.T) {
			hs := newHarness(t, spec("orders", 1, release.Source{Repository: "acme/orders-api", Branch: "main"}))
			hs.h.Account = "123456789012"
			ev := loadEvent(t, "webhook-github-push.json")
			ev.AccountID = tt.account
			res, err := hs.h.Handle(context.Background(), ev)
			if tt.want == "" {
				if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), "account") || len(hs.store.releases) != 0 {
					t.Errorf("Handle = %+v, %v with %d releases; want ErrInvalid naming the account and nothing written", res, err, len(hs.store.releases))
				}
				return
			}
			if err != nil || len(res.Pipelines) != 1 || res.Pipelines[0].Outcome != tt.want {
				t.Errorf("Handle = %+v, %v; want %s", res, err, tt.want)
			}
		})
	}
}
