package store_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.Around(func() int { return dynalitetest.Run(m) })) }

// clock is a settable time source for WithNow.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a store on a fresh table with an injected clock: on dynalite, or
// on moto's DynamoDB for the tests TestOnMoto runs.
type env struct {
	store  *store.Store
	clock  *clock
	client *dynamodb.Client
	table  string
}

func newEnv(t testing.TB, opts ...store.Option) *env {
	t.Helper()
	client, table := backendTable(t)
	c := newClock()
	opts = append([]store.Option{store.WithNow(c.Now)}, opts...)
	return &env{store: store.New(client, table, opts...), clock: c, client: client, table: table}
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantKind fails unless err matches kind (nil kind: err must be nil).
func wantKind(t testing.TB, what string, err, kind error) {
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
	got, created, err := e.store.CreateRelease(ctxT(t), r)
	if err != nil {
		t.Fatalf("CreateRelease(%s, %s): %v", r.Pipeline, r.Trigger.Key, err)
	}
	if !created {
		t.Fatalf("CreateRelease(%s, %s): created = false, want true", r.Pipeline, r.Trigger.Key)
	}
	return got
}

func newRelease(pipeline, key string) release.Release {
	return release.Release{
		Pipeline: pipeline, SpecVersion: 1, Version: "v-" + key,
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: key, Repository: "orders-api", Commit: "c0ffee"},
	}
}
