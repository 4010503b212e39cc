package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// Listing limits for ListReleases.
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
)

// CreateRelease stores r unless its pipeline already has a release for the
// same trigger key (ever: claims are kept, so a trigger key must name one
// request, not a schedule), in which case it returns that one with created
// false;
// however many callers race with the same (Pipeline, Trigger.Key), exactly
// one gets created true and all get the same release. An empty ID is filled
// from the id generator, an empty Status becomes PENDING, and CreatedAt and
// UpdatedAt come from the clock.
//
// It takes two single-item conditional writes: a claim of the trigger key
// naming the release id, then the release item. A caller that finds the claim
// but not the release (its writer is still at it, or died between the two)
// writes the release under the claimed id itself.
//
// Errors: release.ErrInvalid for a release that fails validation,
// release.ErrConflict when r.ID is already used by another release.
func (s *Store) CreateRelease(ctx context.Context, r release.Release) (rel release.Release, created bool, err error) {
	if r, err = accept.NewRelease(r, s.ids); err != nil {
		return release.Release{}, false, err
	}
	now := s.now().UTC()
	r.CreatedAt, r.UpdatedAt = now, now

	claim := triggerItem{
		PK: pipelineKey(r.Pipeline), SK: triggerSK(r.Trigger.Key), Type: typeTrigger,
		ReleaseID: r.ID, CreatedAt: formatTime(now),
	}
	err = s.put(ctx, claim, "attribute_not_exists(PK)", nil)
	switch {
	case err == nil:
	case conditionFailed(err):
		var existing triggerItem
		found, err := s.get(ctx, claim.PK, claim.SK, &existing)
		if err != nil {
			return release.Release{}, false, fmt.Errorf("create release for %s trigger %s: read claim: %w", r.Pipeline, r.Trigger.Key, err)
		}
		if !found { // claims are never deleted
			return release.Release{}, false, release.Errorf(release.ErrConflict, "create release for %s trigger %s: claim vanished", r.Pipeline, r.Trigger.Key)
		}
		r.ID = existing.ReleaseID
		got, err := s.GetRelease(ctx, r.ID)
		if err == nil {
			return got, false, nil
		}
		if !errors.Is(err, release.ErrNotFound) {
			return release.Release{}, false, fmt.Errorf("create release for %s trigger %s: %w", r.Pipeline, r.Trigger.Key, err)
		}
	default:
		return release.Release{}, false, fmt.Errorf("create release for %s trigger %s: claim trigger: %w", r.Pipeline, r.Trigger.Key, err)
	}

	item, err := newReleaseItem(r)
	if err != nil {
		return release.Release{}, false, fmt.Errorf("create release %s: %w", r.ID, err)
	}
	err = s.put(ctx, item, "attribute_not_exists(PK)", nil)
	if err == nil {
		return r, true, nil
	}
	if !conditionFailed(err) {
		return release.Release{}, false, fmt.Errorf("create release %s: %w", r.ID, err)
	}
	got, err := s.GetRelease(ctx, r.ID)
	if err != nil {
		return release.Release{}, false, fmt.Errorf("create release %s: %w", r.ID, err)
	}
	if got.Pipeline != r.Pipeline || got.Trigger.Key != r.Trigger.Key {
		return release.Release{}, false, release.Errorf(release.ErrConflict, "create release %s: id already used by pipeline %s trigger %s", r.ID, got.Pipeline, got.Trigger.Key)
	}
	return got, false, nil
}

func newReleaseItem(r release.Release) (releaseItem, error) {
	trigger, err := json.Marshal(r.Trigger)
	if err != nil {
		return releaseItem{}, fmt.Errorf("encode trigger: %w", err)
	}
	it := releaseItem{
		PK: releaseKey(r.ID), SK: releaseSK(),
		GSI1PK: pipelineKey(r.Pipeline), GSI1SK: releaseListSK(r.ID),
		Type: typeRelease, ID: r.ID, Pipeline: r.Pipeline, SpecVersion: r.SpecVersion,
		Version: r.Version, Status: string(r.Status), Reason: r.Reason, Execution: r.Execution,
		TriggerKey: r.Trigger.Key, Trigger: string(trigger),
		CreatedAt: formatTime(r.CreatedAt), UpdatedAt: formatTime(r.UpdatedAt),
	}
	if !r.Status.Terminal() {
		it.GSI2PK, it.GSI2SK = activeKey(r.Pipeline), releaseListSK(r.ID)
	}
	return it, nil
}

func (it releaseItem) release() (release.Release, error) {
	r := release.Release{
		ID: it.ID, Pipeline: it.Pipeline, SpecVersion: it.SpecVersion, Version: it.Version,
		Status: release.Status(it.Status), Reason: it.Reason, Execution: it.Execution,
	}
	if err := json.Unmarshal([]byte(it.Trigger), &r.Trigger); err != nil {
		return r, fmt.Errorf("decode release %s: trigger: %w", it.ID, err)
	}
	var err error
	if r.CreatedAt, err = parseTime(it.CreatedAt); err != nil {
		return r, fmt.Errorf("decode release %s: createdAt: %w", it.ID, err)
	}
	if r.UpdatedAt, err = parseTime(it.UpdatedAt); err != nil {
		return r, fmt.Errorf("decode release %s: updatedAt: %w", it.ID, err)
	}
	return r, nil
}

// GetRelease returns the release with that id. Errors: release.ErrNotFound.
func (s *Store) GetRelease(ctx context.Context, id string) (release.Release, error) {
	if err := accept.Name("get release", "id", id); err != nil {
		return release.Release{}, err
	}
	var it releaseItem
	found, err := s.get(ctx, releaseKey(id), releaseSK(), &it)
	if err != nil {
		return release.Release{}, fmt.Errorf("get release %s: %w", id, err)
	}
	if !found {
		return release.Release{}, release.Errorf(release.ErrNotFound, "get release %s: no such release", id)
	}
	return it.release()
}

// TransitionRelease moves the release to status to, recording reason (an
// empty reason keeps the old one) and the time. The write is conditional on
// the status it read, so of two racing transitions one loses. Errors:
// release.ErrNotFound, release.ErrInvalid for an unknown status,
// release.ErrConflict when release.CheckTransition forbids the move or the
// status changed concurrently.
func (s *Store) TransitionRelease(ctx context.Context, id string, to release.Status, reason string) (release.Release, error) {
	if !to.Valid() {
		return release.Release{}, release.Errorf(release.ErrInvalid, "transition release %s: unknown status %q", id, to)
	}
	cur, err := s.GetRelease(ctx, id)
	if err != nil {
		return release.Release{}, fmt.Errorf("transition release: %w", err)
	}
	if err := release.CheckTransition(cur.Status, to); err != nil {
		return release.Release{}, fmt.Errorf("transition release %s: %w", id, err)
	}
	update := "SET #status = :to, updatedAt = :now"
	values := map[string]types.AttributeValue{
		":to": str(string(to)), ":from": str(string(cur.Status)), ":now": str(formatTime(s.now())),
	}
	if reason != "" {
		update += ", reason = :reason"
		values[":reason"] = str(reason)
	}
	if to.Terminal() {
		update += " REMOVE GSI2PK, GSI2SK"
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(releaseKey(id), releaseSK()),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("#status = :from"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return release.Release{}, release.Errorf(release.ErrConflict, "transition release %s from %s to %s: status changed concurrently", id, cur.Status, to)
	}
	if err != nil {
		return release.Release{}, fmt.Errorf("transition release %s from %s to %s: %w", id, cur.Status, to, err)
	}
	var it releaseItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return release.Release{}, fmt.Errorf("transition release %s: decode: %w", id, err)
	}
	return it.release()
}

// SetExecution records the Step Functions execution ARN running the release.
// Setting the same ARN again is a no-op. Errors: release.ErrNotFound,
// release.ErrConflict when another execution is already recorded.
func (s *Store) SetExecution(ctx context.Context, id, executionARN string) error {
	if err := accept.Name("set execution", "id", id); err != nil {
		return err
	}
	if executionARN == "" {
		return release.Errorf(release.ErrInvalid, "set execution of release %s: execution ARN is required", id)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(releaseKey(id), releaseSK()),
		UpdateExpression:    aws.String("SET execution = :arn, updatedAt = :now"),
		ConditionExpression: aws.String("attribute_exists(PK) AND (attribute_not_exists(execution) OR execution = :arn)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":arn": str(executionARN), ":now": str(formatTime(s.now())),
		},
	})
	if err == nil {
		return nil
	}
	if !conditionFailed(err) {
		return fmt.Errorf("set execution of release %s: %w", id, err)
	}
	cur, err := s.GetRelease(ctx, id)
	if err != nil {
		return fmt.Errorf("set execution: %w", err)
	}
	return release.Errorf(release.ErrConflict, "set execution of release %s to %s: already run by %s", id, executionARN, cur.Execution)
}

// ListReleases returns up to limit of the pipeline's releases, newest first
// (by id), and a cursor for the next page, empty on the last one. A limit of
// 0 or less means DefaultListLimit; more than MaxListLimit is capped. Pass
// the cursor back unchanged with the same pipeline. Errors:
// release.ErrInvalid for a malformed cursor or one from another pipeline.
func (s *Store) ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error) {
	if err := accept.Name("list releases", "pipeline", pipeline); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	in := &dynamodb.QueryInput{
		IndexName:              aws.String(IndexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(pipelineKey(pipeline)), ":prefix": str(releaseListSK("")),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit + 1)),
	}
	if cursor != "" {
		c, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", fmt.Errorf("list releases of %s: %w", pipeline, err)
		}
		if c.Pipeline != pipeline {
			return nil, "", release.Errorf(release.ErrInvalid, "list releases of %s: cursor belongs to pipeline %s", pipeline, c.Pipeline)
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			AttrPK: str(releaseKey(c.ID)), AttrSK: str(releaseSK()),
			AttrGSI1PK: str(pipelineKey(pipeline)), AttrGSI1SK: str(releaseListSK(c.ID)),
		}
	}
	items, err := queryAll[releaseItem](ctx, s, in, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list releases of %s: %w", pipeline, err)
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = encodeCursor(cursorData{Pipeline: pipeline, ID: items[limit-1].ID})
	}
	out, err := releases(items)
	if err != nil {
		return nil, "", fmt.Errorf("list releases of %s: %w", pipeline, err)
	}
	return out, next, nil
}

// ActiveReleases returns the pipeline's releases whose status is not
// terminal, oldest first (by id). It reads an index, which on AWS lags
// writes slightly.
func (s *Store) ActiveReleases(ctx context.Context, pipeline string) ([]release.Release, error) {
	if err := accept.Name("active releases", "pipeline", pipeline); err != nil {
		return nil, err
	}
	items, err := queryAll[releaseItem](ctx, s, &dynamodb.QueryInput{
		IndexName:                 aws.String(IndexGSI2),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(activeKey(pipeline))},
		ScanIndexForward:          aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("active releases of %s: %w", pipeline, err)
	}
	all, err := releases(items)
	if err != nil {
		return nil, fmt.Errorf("active releases of %s: %w", pipeline, err)
	}
	out := all[:0]
	for _, r := range all {
		if !r.Status.Terminal() {
			out = append(out, r)
		}
	}
	return out, nil
}

func releases(items []releaseItem) ([]release.Release, error) {
	out := make([]release.Release, 0, len(items))
	for _, it := range items {
		r, err := it.release()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
