package store_test

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

// TestContract runs the store contract against the DynamoDB store on
// dynalite; memstore runs the same suite.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB, now func() time.Time) storetest.Store {
		client, table := dynalitetest.Table(t)
		return store.New(client, table, store.WithNow(now))
	})
}
