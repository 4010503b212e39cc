package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

// onMoto is the prefix of the tests TestOnMoto runs: their newEnv tables
// live on moto's DynamoDB instead of dynalite.
const onMoto = "TestOnMoto/"

// backendTable returns a fresh table for t: on moto under TestOnMoto, on
// dynalite otherwise.
func backendTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	if !strings.HasPrefix(t.Name(), onMoto) {
		return dynalitetest.Table(t)
	}
	return motoTable(t)
}

// motoTable returns a fresh table on moto's DynamoDB.
func motoTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	client := dynamodb.NewFromConfig(mototest.Config(t))
	name := mototest.Name(t, 200)
	dynalitetest.TableOn(t, client, name)
	return client, name
}

// TestOnMoto runs the store contract against moto's DynamoDB, a second
// implementation beside dynalite, and the DynamoDB-only tests too. The
// tests that race conditional writes from many goroutines are dynalite's
// alone: moto_server does not make a conditional write atomic against a
// concurrent one (AcquireLockConcurrent fails there: two racing writers
// both win the lock, which neither DynamoDB nor dynalite allows), so a pass
// of the other racing tests on moto would prove nothing.
func TestOnMoto(t *testing.T) {
	const atomicity = "moto: atomicity of concurrent conditional writes"
	t.Run("Contract", func(t *testing.T) {
		storetest.Run(t, func(t testing.TB, now func() time.Time) storetest.Store {
			client, table := motoTable(t)
			return store.New(client, table, store.WithNow(now))
		},
			storetest.Gap{Test: "AppendEventConcurrent", Reason: atomicity},
			storetest.Gap{Test: "ClaimIdempotencyKeyConcurrent", Reason: atomicity},
			storetest.Gap{Test: "AcquireLockConcurrent", Reason: atomicity},
			storetest.Gap{Test: "CreateReleaseConcurrent", Reason: atomicity},
			storetest.Gap{Test: "SaveSpecConcurrentVersions", Reason: atomicity},
			storetest.Gap{Test: "DeleteTaskTokenOneWinner", Reason: atomicity},
			storetest.Gap{Test: "SwapTargetStateConcurrent", Reason: atomicity},
		)
	})
	for _, tt := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"TestCreateReleaseAfterCrashedClaim", TestCreateReleaseAfterCrashedClaim},
		{"TestTransitionReleaseLostRace", TestTransitionReleaseLostRace},
		{"TestItemShapes", TestItemShapes},
	} {
		t.Run(tt.name, tt.fn)
	}
}
