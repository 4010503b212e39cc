package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// syntheticTTL is how long past its deadline a synthetic run's item stays
// before AWS may delete it.
const syntheticTTL = 24 * time.Hour

// syntheticItem is a target's synthetic-traffic run: one per target, so a
// new run replaces the last. The sender adds what it sent to Sent (an
// atomic counter) while Stopped is false and RunID is its own.
type syntheticItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	Target    string `dynamodbav:"target"`
	RunID     string `dynamodbav:"runId"`
	Sent      int64  `dynamodbav:"sent"`
	Stopped   bool   `dynamodbav:"stopped"`
	Until     string `dynamodbav:"until"`
	CreatedAt string `dynamodbav:"createdAt"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

func syntheticKey(target string) string { return "SYNTHETIC#" + target }
func syntheticSK() string               { return "SYNTHETIC" }

// StartSyntheticRun records that run runID sends synthetic traffic to
// target until until, replacing any earlier run of the target (whose sender
// then stops: AddSyntheticSent no longer counts for it). Errors:
// release.ErrInvalid for an empty or oversized name.
func (s *Store) StartSyntheticRun(ctx context.Context, target, runID string, until time.Time) error {
	if err := accept.Name("start synthetic run", "target", target); err != nil {
		return err
	}
	if err := accept.Name("start synthetic run", "run id", runID); err != nil {
		return err
	}
	it := syntheticItem{PK: syntheticKey(target), SK: syntheticSK(), Type: typeSynthetic, Target: target, RunID: runID,
		Until: formatTime(until), CreatedAt: formatTime(s.now()), ExpiresAt: ttlSeconds(until.Add(syntheticTTL))}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("start synthetic run %s on %s: %w", runID, target, err)
	}
	return nil
}

// AddSyntheticSent adds n to run runID's sent count and returns the total;
// stop is true (and nothing is added) when the run was stopped or replaced
// (or its item is gone): the sender must stop.
func (s *Store) AddSyntheticSent(ctx context.Context, target, runID string, n int64) (total int64, stop bool, err error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(syntheticKey(target), syntheticSK()),
		UpdateExpression:    aws.String("ADD sent :n"),
		ConditionExpression: aws.String("runId = :run AND stopped = :false"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":n": num(n), ":run": str(runID), ":false": &types.AttributeValueMemberBOOL{Value: false},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if conditionFailed(err) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("count synthetic requests of run %s on %s: %w", runID, target, err)
	}
	total, err = numberAttr(out.Attributes, "sent")
	return total, false, err
}

// StopSyntheticRun marks target's run stopped and returns how many
// requests it sent; running is false when there was no run or it was
// already stopped (stopping twice is not an error).
func (s *Store) StopSyntheticRun(ctx context.Context, target string) (sent int64, running bool, err error) {
	if err := accept.Name("stop synthetic run", "target", target); err != nil {
		return 0, false, err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(syntheticKey(target), syntheticSK()),
		UpdateExpression:    aws.String("SET stopped = :true"),
		ConditionExpression: aws.String("attribute_exists(PK) AND stopped = :false"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":true": &types.AttributeValueMemberBOOL{Value: true}, ":false": &types.AttributeValueMemberBOOL{Value: false},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("stop synthetic run on %s: %w", target, err)
	}
	sent, err = numberAttr(out.Attributes, "sent")
	return sent, err == nil, err
}

// numberAttr reads a number attribute; a missing one is 0.
func numberAttr(attrs map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := attrs[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, release.Errorf(release.ErrInvalid, "attribute %s: %v", name, err)
	}
	return n, nil
}
