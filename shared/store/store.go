package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/store/accept"
)

// DynamoDB is the part of the DynamoDB client the store uses; a
// *dynamodb.Client satisfies it. Every method fails with
// *types.ResourceNotFoundException when the table does not exist.
type DynamoDB interface {
	// GetItem returns an output with a nil Item when there is no such item.
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	// PutItem, UpdateItem and DeleteItem fail with
	// *types.ConditionalCheckFailedException when their condition is false.
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	// Query returns one page; LastEvaluatedKey is set when there are more.
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ DynamoDB = (*dynamodb.Client)(nil)

// Store is the release repository on one DynamoDB table created from
// TableDefinition. It is safe for concurrent use; every state change is a
// single-item conditional write, and a lost condition comes back as an error
// of kind release.ErrConflict (or ErrLocked, ErrNotFound, ErrExpired where
// the method says so).
type Store struct {
	db    DynamoDB
	table string
	now   func() time.Time
	ids   func() string
}

// Option configures a Store.
type Option func(*Store)

// WithNow sets the clock used for timestamps, lease and key expiry, and the
// default release ids. The default is time.Now.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithIDs sets the generator of release ids. The default makes ULIDs from
// the store's clock, which sort by creation time; listings rely on ids that
// sort that way.
func WithIDs(ids func() string) Option { return func(s *Store) { s.ids = ids } }

// New returns a Store on the named table.
func New(client DynamoDB, table string, opts ...Option) *Store {
	s := &Store{db: client, table: table, now: time.Now}
	for _, opt := range opts {
		opt(s)
	}
	if s.ids == nil {
		s.ids = newULIDs(s.now).next
	}
	return s
}

// maxNameLen bounds every caller-supplied string that goes into a key.
const maxNameLen = accept.MaxNameLen

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// get reads one item with a strongly consistent read into out; found is
// false when there is no such item.
func (s *Store) get(ctx context.Context, pk, sk string, out any) (found bool, err error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, err
	}
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, fmt.Errorf("decode item %s/%s: %w", pk, sk, err)
	}
	return true, nil
}

// put writes item, guarded by cond when it is not empty.
func (s *Store) put(ctx context.Context, item any, cond string, values map[string]types.AttributeValue) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode item: %w", err)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
		in.ExpressionAttributeValues = values
	}
	_, err = s.db.PutItem(ctx, in)
	return err
}

// queryAll runs in to the end, following LastEvaluatedKey, and decodes every
// item into a T. A positive max stops it once it has that many.
func queryAll[T any](ctx context.Context, s *Store, in *dynamodb.QueryInput, max int) ([]T, error) {
	in.TableName = aws.String(s.table)
	var out []T
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, item := range res.Items {
			var v T
			if err := attributevalue.UnmarshalMap(item, &v); err != nil {
				return nil, fmt.Errorf("decode item: %w", err)
			}
			out = append(out, v)
		}
		if len(res.LastEvaluatedKey) == 0 || (max > 0 && len(out) >= max) {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(sk)}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num[T ~int | ~int64](v T) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(int64(v))}
}

// formatTime is how every timestamp is stored: UTC, RFC 3339 with as many
// fractional digits as needed.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

// ttlSeconds is the TTLAttribute value for an expiry: epoch seconds, rounded
// up so AWS never deletes an item before it has expired.
func ttlSeconds(t time.Time) int64 {
	ms := t.UnixMilli()
	return (ms + 999) / 1000
}

// backoff sleeps a jittered, growing delay before retry attempt n (from 0)
// of a conditional write that lost a race; it returns ctx's error if ctx
// ends first.
func backoff(ctx context.Context, n int) error {
	ceiling := time.Millisecond << min(n, 5) // 1ms … 32ms
	d := rand.N(ceiling) + 100*time.Microsecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
