package store_test

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Around(func() int { return dynalitetest.Run(m) })) }

// env is a store on a fresh table with an injected clock: on dynalite, or
// on moto's DynamoDB for the tests TestOnMoto runs.
type env struct {
	store  *store.Store
	clock  *storetest.Clock
	client *dynamodb.Client
	table  string
}

func newEnv(t testing.TB, opts ...store.Option) *env {
	t.Helper()
	client, table := backendTable(t)
	c := storetest.NewClock()
	opts = append([]store.Option{store.WithNow(c.Now)}, opts...)
	return &env{store: store.New(client, table, opts...), clock: c, client: client, table: table}
}

func mustCreate(t testing.TB, e *env, r release.Release) release.Release {
	t.Helper()
	got, created, err := e.store.CreateRelease(storetest.Ctx(t), r)
	if err != nil {
		t.Fatalf("CreateRelease(%s, %s): %v", r.Pipeline, r.Trigger.Key, err)
	}
	if !created {
		t.Fatalf("CreateRelease(%s, %s): created = false, want true", r.Pipeline, r.Trigger.Key)
	}
	return got
}
