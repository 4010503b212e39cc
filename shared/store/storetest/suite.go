package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// Store is every method the contract covers: what the handlers
// (control.Store), the release launcher and the listings use.
type Store interface {
	control.Store
	CreateRelease(ctx context.Context, r release.Release) (release.Release, bool, error)
	SetExecution(ctx context.Context, id, executionARN string) error
	ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error)
	SaveSpec(ctx context.Context, sv release.SpecVersion) (release.SpecVersion, error)
	PipelinesByRepository(ctx context.Context, repo string) ([]string, error)
	ListPipelines(ctx context.Context) ([]string, error)
	GetLock(ctx context.Context, target string) (release.Lock, error)
	GetTaskToken(ctx context.Context, token string) (release.TaskToken, error)
	ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (existing string, claimed bool, err error)
}

// Factory returns a fresh, empty store reading time from now.
type Factory func(t testing.TB, now func() time.Time) Store

// Gap names a contract test an implementation cannot be held to, and why
// (moto_server does not make concurrent conditional writes atomic, say):
// Run skips it saying so.
type Gap struct {
	Test   string
	Reason string
}

// Run runs the store contract against the stores newStore makes: every
// implementation (the DynamoDB store on dynalite, the in-memory one, the
// DynamoDB store on moto) must pass it unchanged, but for the gaps named.
func Run(t *testing.T, newStore Factory, gaps ...Gap) {
	skip := map[string]string{}
	for _, g := range gaps {
		skip[g.Test] = g.Reason
	}
	mk := func(t testing.TB) *env {
		t.Helper()
		c := NewClock()
		return &env{store: newStore(t, c.Now), clock: c}
	}
	for _, tc := range []struct {
		name string
		test func(*testing.T, func(testing.TB) *env)
	}{
		{"AppendEventAndEvents", testAppendEventAndEvents},
		{"AppendEventRejectsBadInput", testAppendEventRejectsBadInput},
		{"AppendEventConcurrent", testAppendEventConcurrent},
		{"ClaimIdempotencyKey", testClaimIdempotencyKey},
		{"ClaimIdempotencyKeyConcurrent", testClaimIdempotencyKeyConcurrent},
		{"LockLifecycle", testLockLifecycle},
		{"AcquireLockConcurrent", testAcquireLockConcurrent},
		{"CreateRelease", testCreateRelease},
		{"CreateReleaseRejectsBadInput", testCreateReleaseRejectsBadInput},
		{"CreateReleaseConcurrent", testCreateReleaseConcurrent},
		{"TransitionRelease", testTransitionRelease},
		{"SetExecution", testSetExecution},
		{"ListReleasesPagination", testListReleasesPagination},
		{"ActiveReleases", testActiveReleases},
		{"TargetState", testTargetState},
		{"SwapTargetState", testSwapTargetState},
		{"SwapTargetStateConcurrent", testSwapTargetStateConcurrent},
		{"SaveAndGetSpec", testSaveAndGetSpec},
		{"SaveSpecRejectsBadInput", testSaveSpecRejectsBadInput},
		{"PipelineIndexes", testPipelineIndexes},
		{"SaveSpecConcurrentVersions", testSaveSpecConcurrentVersions},
		{"TaskTokens", testTaskTokens},
		{"PutTaskTokenRejectsBadInput", testPutTaskTokenRejectsBadInput},
		{"DeleteTaskTokenOneWinner", testDeleteTaskTokenOneWinner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if reason, ok := skip[tc.name]; ok {
				t.Skip("gap of this implementation: " + reason)
			}
			tc.test(t, mk)
		})
	}
}

// Clock is a settable time source for the stores under test (starting at
// 2026-01-02 03:04:05 UTC).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at the suite's start time.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a fresh store with an injected clock.
type env struct {
	store Store
	clock *Clock
}

// Ctx is a context that ends with the test (30 s at most).
func Ctx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// WantKind fails unless err matches kind (nil kind: err must be nil).
func WantKind(t testing.TB, what string, err, kind error) {
	t.Helper()
	switch {
	case kind == nil && err != nil:
		t.Fatalf("%s: got error %v, want none", what, err)
	case kind != nil && !errors.Is(err, kind):
		t.Fatalf("%s: got error %v, want kind %v", what, err, kind)
	}
}

func mustCreate(t testing.TB, e *env, r release.Release) release.Release {
	t.Helper()
	got, created, err := e.store.CreateRelease(Ctx(t), r)
	if err != nil {
		t.Fatalf("CreateRelease(%s, %s): %v", r.Pipeline, r.Trigger.Key, err)
	}
	if !created {
		t.Fatalf("CreateRelease(%s, %s): created = false, want true", r.Pipeline, r.Trigger.Key)
	}
	return got
}

// NewRelease is a release of pipeline pushed with trigger key key.
func NewRelease(pipeline, key string) release.Release {
	return release.Release{
		Pipeline: pipeline, SpecVersion: 1, Version: "v-" + key,
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: key, Repository: "orders-api", Commit: "c0ffee"},
	}
}
