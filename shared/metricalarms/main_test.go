package metricalarms_test

import (
	"testing"

	"github.com/shipwave/shipwave/shared/fleet/fleettest"
)

// TestMain lets the end-to-end test's fleet launch this binary as the demo
// service.
func TestMain(m *testing.M) { fleettest.Main(m) }
