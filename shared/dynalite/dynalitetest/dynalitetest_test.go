package dynalitetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/store"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestServerIsShared(t *testing.T) {
	a, b := dynalitetest.Server(t), dynalitetest.Server(t)
	if a != b {
		t.Errorf("Server returned %p then %p, want the same server", a, b)
	}
}

func TestTableCreatesFromDefinitionAndCleansUp(t *testing.T) {
	var client *dynamodb.Client
	var names []string
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			c, table := dynalitetest.Table(t)
			client = c
			names = append(names, table)
			out, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
			if err != nil {
				t.Fatalf("DescribeTable %s: %v", table, err)
			}
			if got, want := out.Table.TableStatus, types.TableStatusActive; got != want {
				t.Errorf("table status = %s, want %s", got, want)
			}
			if got, want := len(out.Table.GlobalSecondaryIndexes), len(store.TableDefinition(table).GlobalSecondaryIndexes); got != want {
				t.Errorf("table has %d indexes, want %d", got, want)
			}
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("table names = %v, want two distinct names", names)
	}
	for _, table := range names {
		_, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		var missing *types.ResourceNotFoundException
		if !errors.As(err, &missing) {
			t.Errorf("DescribeTable %s after its test ended: err = %v, want ResourceNotFoundException", table, err)
		}
	}
}
