package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// lockAttempts bounds AcquireLock's retries when the lock changes between
// its conditional writes and the read that explains their failure.
const lockAttempts = 5

// AcquireLock gives owner a lease on target until now+lease. A free lock, a
// released one, or one whose lease has expired (whoever held it) is taken
// with Fence one more than before; a lock owner already holds live is renewed
// with the same Fence. Errors: release.ErrInvalid, release.ErrLocked when
// another owner's lease is live.
func (s *Store) AcquireLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error) {
	if err := accept.Lock("acquire lock", target, owner, lease); err != nil {
		return release.Lock{}, err
	}
	for range lockAttempts {
		now := s.now()
		until := now.Add(lease)
		values := map[string]types.AttributeValue{
			":owner": str(owner), ":until": num(until.UnixMilli()), ":nowMs": num(now.UnixMilli()),
			":now": str(formatTime(now)),
		}
		// Take it if free or expired.
		take := map[string]types.AttributeValue{
			":zero": num(0), ":one": num(1), ":target": str(target), ":type": str(typeLock),
		}
		for k, v := range values {
			take[k] = v
		}
		l, err := s.updateLock(ctx, target,
			"SET #owner = :owner, leaseUntilMs = :until, fence = if_not_exists(fence, :zero) + :one, target = :target, #type = :type, updatedAt = :now",
			"attribute_not_exists(PK) OR attribute_not_exists(#owner) OR leaseUntilMs <= :nowMs",
			map[string]string{"#owner": "owner", "#type": "type"}, take)
		if err == nil || !conditionFailed(err) {
			return l, wrapLockErr("acquire lock on "+target+" for "+owner, err)
		}
		// Renew it if owner holds it.
		l, err = s.renew(ctx, target, values)
		if err == nil || !conditionFailed(err) {
			return l, wrapLockErr("acquire lock on "+target+" for "+owner, err)
		}
		cur, found, err := s.readLock(ctx, target)
		if err != nil {
			return release.Lock{}, fmt.Errorf("acquire lock on %s for %s: %w", target, owner, err)
		}
		if found && cur.Owner != owner && cur.Live(s.now()) {
			return release.Lock{}, release.Errorf(release.ErrLocked, "acquire lock on %s for %s: held by %s until %s", target, owner, cur.Owner, formatTime(cur.ExpiresAt))
		}
		// It changed under us; try again.
	}
	return release.Lock{}, release.Errorf(release.ErrConflict, "acquire lock on %s for %s: lock kept changing", target, owner)
}

// RenewLock extends owner's live lease on target to now+lease, keeping its
// Fence. Errors: release.ErrNotFound when the lock is free,
// release.ErrLocked when another owner holds it, release.ErrExpired when
// owner's lease has run out (AcquireLock may take it again, with a new
// Fence).
func (s *Store) RenewLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error) {
	if err := accept.Lock("renew lock", target, owner, lease); err != nil {
		return release.Lock{}, err
	}
	now := s.now()
	l, err := s.renew(ctx, target, map[string]types.AttributeValue{
		":owner": str(owner), ":until": num(now.Add(lease).UnixMilli()), ":nowMs": num(now.UnixMilli()),
		":now": str(formatTime(now)),
	})
	if err == nil || !conditionFailed(err) {
		return l, wrapLockErr("renew lock on "+target+" for "+owner, err)
	}
	cur, found, err := s.readLock(ctx, target)
	switch {
	case err != nil:
		return release.Lock{}, fmt.Errorf("renew lock on %s for %s: %w", target, owner, err)
	case !found:
		return release.Lock{}, release.Errorf(release.ErrNotFound, "renew lock on %s for %s: not locked", target, owner)
	case cur.Owner != owner:
		return release.Lock{}, release.Errorf(release.ErrLocked, "renew lock on %s for %s: held by %s", target, owner, cur.Owner)
	default:
		return release.Lock{}, release.Errorf(release.ErrExpired, "renew lock on %s for %s: lease ran out at %s", target, owner, formatTime(cur.ExpiresAt))
	}
}

func (s *Store) renew(ctx context.Context, target string, values map[string]types.AttributeValue) (release.Lock, error) {
	return s.updateLock(ctx, target,
		"SET leaseUntilMs = :until, updatedAt = :now",
		"#owner = :owner AND leaseUntilMs > :nowMs",
		map[string]string{"#owner": "owner"}, values)
}

// ReleaseLock frees owner's lock on target (live, or with its lease run
// out); the item stays so the next Fence is still higher. Errors:
// release.ErrNotFound when owner does not hold it (it is free, or owner
// released it already), release.ErrLocked when another owner holds it
// (owner's lease ran out and was taken over). So exactly one call frees
// each acquisition.
func (s *Store) ReleaseLock(ctx context.Context, target, owner string) error {
	if err := accept.Name("release lock", "target", target); err != nil {
		return err
	}
	if err := accept.Name("release lock", "owner", owner); err != nil {
		return err
	}
	now := s.now()
	_, err := s.updateLock(ctx, target,
		"SET leaseUntilMs = :zero, updatedAt = :now REMOVE #owner",
		"#owner = :owner",
		map[string]string{"#owner": "owner"},
		map[string]types.AttributeValue{":owner": str(owner), ":zero": num(0), ":now": str(formatTime(now))})
	if err == nil {
		return nil
	}
	if !conditionFailed(err) {
		return fmt.Errorf("release lock on %s for %s: %w", target, owner, err)
	}
	cur, found, err := s.readLock(ctx, target)
	if err != nil {
		return fmt.Errorf("release lock on %s for %s: %w", target, owner, err)
	}
	if found {
		return release.Errorf(release.ErrLocked, "release lock on %s for %s: held by %s", target, owner, cur.Owner)
	}
	return release.Errorf(release.ErrNotFound, "release lock on %s for %s: not locked", target, owner)
}

// GetLock returns target's lock as stored, including an expired lease (see
// release.Lock.Live). Errors: release.ErrNotFound when it is free.
func (s *Store) GetLock(ctx context.Context, target string) (release.Lock, error) {
	if err := accept.Name("get lock", "target", target); err != nil {
		return release.Lock{}, err
	}
	l, found, err := s.readLock(ctx, target)
	if err != nil {
		return release.Lock{}, fmt.Errorf("get lock on %s: %w", target, err)
	}
	if !found {
		return release.Lock{}, release.Errorf(release.ErrNotFound, "get lock on %s: not locked", target)
	}
	return l, nil
}

// readLock reads the lock; found is false when it is free or was never taken.
func (s *Store) readLock(ctx context.Context, target string) (release.Lock, bool, error) {
	var it lockItem
	found, err := s.get(ctx, lockKey(target), lockSK(), &it)
	if err != nil || !found || it.Owner == "" {
		return release.Lock{}, false, err
	}
	return it.lock(), true, nil
}

func (s *Store) updateLock(ctx context.Context, target, update, cond string, names map[string]string, values map[string]types.AttributeValue) (release.Lock, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(lockKey(target), lockSK()),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return release.Lock{}, err
	}
	var it lockItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return release.Lock{}, fmt.Errorf("decode lock: %w", err)
	}
	return it.lock(), nil
}

func (it lockItem) lock() release.Lock {
	return release.Lock{Target: it.Target, Owner: it.Owner, Fence: it.Fence, ExpiresAt: time.UnixMilli(it.LeaseUntilMs).UTC()}
}

func wrapLockErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
