package resultdynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
)

// Client is the part of the DynamoDB API the store uses.
type Client interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Store keeps results in a DynamoDB table keyed by PK and SK.
type Store struct {
	client Client
	table  string
	now    func() time.Time
	// pageSize limits items per Query page; zero leaves it to DynamoDB.
	pageSize int32
}

var (
	_ loadtest.Sink   = (*Store)(nil)
	_ loadtest.Source = (*Store)(nil)
)

// New returns a store over table; now stamps when each result was stored.
func New(client Client, table string, now func() time.Time) *Store {
	return &Store{client: client, table: table, now: now}
}

const (
	pkPrefix = "LOADTEST#"
	skPrefix = "TASK#"
	itemType = "LoadTestResult"
)

// item is the stored shape of one task's result. The result itself is kept
// as its JSON encoding (histogram included) so it decodes exactly as every
// other store's.
type item struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Type     string `dynamodbav:"type"`
	RunID    string `dynamodbav:"runId"`
	Task     int    `dynamodbav:"task"`
	Result   string `dynamodbav:"result"`
	StoredAt string `dynamodbav:"storedAt"`
}

func pk(runID string) string { return pkPrefix + runID }
func sk(task int) string     { return fmt.Sprintf("%s%06d", skPrefix, task) }

// Put stores r as the result of task of run runID. The write is
// unconditional on purpose: a retried task's result replaces the attempt
// before it. Errors match release.ErrInvalid for bad arguments (see
// loadtest.Sink).
func (s *Store) Put(ctx context.Context, runID string, task int, r loadtest.Result) error {
	r, err := loadtest.CheckPut(runID, task, r)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("put result of run %s task %d: %w", runID, task, err)
	}
	av, err := attributevalue.MarshalMap(item{
		PK: pk(runID), SK: sk(task), Type: itemType, RunID: runID, Task: task,
		Result: string(data), StoredAt: s.now().UTC().Format(time.RFC3339Nano),
	})
	if err != nil {
		return fmt.Errorf("put result of run %s task %d: %w", runID, task, err)
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
		return fmt.Errorf("put result of run %s task %d in table %s: %w", runID, task, s.table, err)
	}
	return nil
}

// Results reads every task result of run runID with a consistent read,
// ordered by task; none for an unknown run. An item that does not decode is
// an error matching release.ErrInvalid that names its key.
func (s *Store) Results(ctx context.Context, runID string) ([]loadtest.Result, error) {
	if err := loadtest.CheckRunID(runID); err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk(runID)},
			":sk": &types.AttributeValueMemberS{Value: skPrefix},
		},
		ConsistentRead: aws.Bool(true),
	}
	if s.pageSize > 0 {
		in.Limit = aws.Int32(s.pageSize)
	}
	var out []loadtest.Result
	for {
		page, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("results of run %s from table %s: %w", runID, s.table, err)
		}
		for _, av := range page.Items {
			r, err := decode(runID, av)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	slices.SortFunc(out, func(a, b loadtest.Result) int { return a.Task - b.Task })
	return out, nil
}

func decode(runID string, av map[string]types.AttributeValue) (loadtest.Result, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return loadtest.Result{}, release.Errorf(release.ErrInvalid, "results of run %s: item %s: %v", runID, keyOf(av), err)
	}
	r, err := loadtest.DecodeResult([]byte(it.Result))
	if err != nil {
		return loadtest.Result{}, fmt.Errorf("results of run %s: item %s: %w", runID, keyOf(av), err)
	}
	if r.RunID != runID || sk(r.Task) != it.SK {
		return loadtest.Result{}, release.Errorf(release.ErrInvalid, "results of run %s: item %s holds run %q task %d", runID, keyOf(av), r.RunID, r.Task)
	}
	return r, nil
}

func keyOf(av map[string]types.AttributeValue) string {
	var k struct {
		PK string `dynamodbav:"PK"`
		SK string `dynamodbav:"SK"`
	}
	_ = attributevalue.UnmarshalMap(av, &k)
	return strconv.Quote(k.PK + "/" + k.SK)
}
