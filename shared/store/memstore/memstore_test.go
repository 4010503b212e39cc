package memstore_test

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/store/memstore"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

// TestContract runs the store contract the DynamoDB store passes against
// the in-memory store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB, now func() time.Time) storetest.Store {
		return memstore.New(memstore.WithNow(now))
	})
}
