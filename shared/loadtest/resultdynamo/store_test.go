package resultdynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/loadtest/loadtesttest"
	"github.com/shipwave/shipwave/shared/release"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC) }

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestContract(t *testing.T) {
	loadtesttest.TestStore(t, func(tb testing.TB) loadtesttest.Store {
		c, table := dynalitetest.Table(tb)
		return New(c, table, fixedNow)
	})
}

func TestPagesThroughResults(t *testing.T) {
	c, table := dynalitetest.Table(t)
	s := New(c, table, fixedNow)
	s.pageSize = 2
	for task := range 5 {
		if err := s.Put(context.Background(), "run-1", task, loadtesttest.Result(t, task, 10)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Results(context.Background(), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[4].Task != 4 {
		t.Errorf("got %d results, want 5 across 3 pages", len(got))
	}
}

// TestItemGolden pins the stored item's shape.
func TestItemGolden(t *testing.T) {
	c, table := dynalitetest.Table(t)
	s := New(c, table, fixedNow)
	if err := s.Put(context.Background(), "run-1", 3, loadtesttest.Result(t, 3, 4)); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "LOADTEST#run-1"},
			"SK": &types.AttributeValueMemberS{Value: "TASK#000003"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		t.Fatal("no item at PK=LOADTEST#run-1 SK=TASK#000003")
	}
	shown := map[string]any{}
	for k, v := range out.Item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			shown[k] = map[string]string{"S": v.Value}
		case *types.AttributeValueMemberN:
			shown[k] = map[string]string{"N": v.Value}
		default:
			shown[k] = fmt.Sprintf("%T", v)
		}
	}
	got, err := json.MarshalIndent(shown, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "item.golden.json"), got)
}

func TestCorruptItem(t *testing.T) {
	c, table := dynalitetest.Table(t)
	_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"PK":     &types.AttributeValueMemberS{Value: "LOADTEST#run-1"},
			"SK":     &types.AttributeValueMemberS{Value: "TASK#000001"},
			"result": &types.AttributeValueMemberS{Value: `{"task":1,"tasks":1,"mode":"rate","latency":"nope"}`},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(c, table, fixedNow).Results(context.Background(), "run-1")
	if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), `item "LOADTEST#run-1/TASK#000001"`) {
		t.Errorf("got %v, want an invalid error naming the item", err)
	}
}

func TestMissingTable(t *testing.T) {
	s := New(dynalitetest.Client(t), "no-such-table", fixedNow)
	err := s.Put(context.Background(), "run-1", 0, loadtesttest.Result(t, 0, 1))
	if err == nil || errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), "no-such-table") {
		t.Errorf("Put: got %v, want a DynamoDB error naming the table", err)
	}
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("Put: got %v, want it to wrap ResourceNotFoundException", err)
	}
	if _, err := s.Results(context.Background(), "run-1"); err == nil || !strings.Contains(err.Error(), "no-such-table") {
		t.Errorf("Results: got %v, want a DynamoDB error naming the table", err)
	}
}
