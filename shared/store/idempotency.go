package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// claimAttempts bounds ClaimIdempotencyKey's retries when a key expires or
// is claimed between its write and its read.
const claimAttempts = 5

// ClaimIdempotencyKey records key with value for ttl unless it is already
// recorded and unexpired. The first caller gets claimed true (and existing
// ""); later callers get claimed false and the value the first stored. An
// expired key counts as absent and can be claimed again; the TTL attribute
// only lets AWS clean up. Errors: release.ErrInvalid for an empty or
// oversized key or a ttl below one millisecond.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (existing string, claimed bool, err error) {
	if err := accept.Name("claim idempotency key", "key", key); err != nil {
		return "", false, err
	}
	if ttl < time.Millisecond {
		return "", false, release.Errorf(release.ErrInvalid, "claim idempotency key %s: ttl must be at least 1ms, got %s", key, ttl)
	}
	for range claimAttempts {
		now := s.now()
		exp := now.Add(ttl)
		it := idempotencyItem{
			PK: idempotencyKey(key), SK: idempotencySK(), Type: typeIdempotency, Key: key, Value: value,
			CreatedAt: formatTime(now), ExpiresAtMs: exp.UnixMilli(), ExpiresAt: ttlSeconds(exp),
		}
		err := s.put(ctx, it, "attribute_not_exists(PK) OR expiresAtMs <= :nowMs",
			map[string]types.AttributeValue{":nowMs": num(now.UnixMilli())})
		if err == nil {
			return "", true, nil
		}
		if !conditionFailed(err) {
			return "", false, fmt.Errorf("claim idempotency key %s: %w", key, err)
		}
		var cur idempotencyItem
		found, err := s.get(ctx, it.PK, it.SK, &cur)
		if err != nil {
			return "", false, fmt.Errorf("claim idempotency key %s: read: %w", key, err)
		}
		if found && s.now().UnixMilli() < cur.ExpiresAtMs {
			return cur.Value, false, nil
		}
		// Expired or gone since the write: try again.
	}
	return "", false, release.Errorf(release.ErrConflict, "claim idempotency key %s: key kept changing", key)
}
