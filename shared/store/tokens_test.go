package store_test

import (
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

func bakeToken(token, releaseID string, created time.Time, bake time.Duration, alarms ...string) release.TaskToken {
	return release.TaskToken{
		Token: token, Kind: release.TokenBake, ReleaseID: releaseID, Pipeline: "orders",
		Stage: "prod", Wave: "one-box", Target: "orders-live", Alarms: alarms,
		CreatedAt: created, ExpiresAt: created.Add(bake),
	}
}
