package fleet_test

import (
	"testing"

	"github.com/shipwave/shipwave/shared/fleet/fleettest"
)

// TestMain lets the fleet under test launch this test binary as the demo
// service, which is much faster than building shipwave.
func TestMain(m *testing.M) { fleettest.Main(m) }

func binary(t testing.TB) string { t.Helper(); return fleettest.Binary(t) }
