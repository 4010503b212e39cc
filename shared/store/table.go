package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
)

// Key and index attribute names of the table, and the names of its global
// secondary indexes.
const (
	AttrPK     = "PK"
	AttrSK     = "SK"
	AttrGSI1PK = "GSI1PK"
	AttrGSI1SK = "GSI1SK"
	AttrGSI2PK = "GSI2PK"
	AttrGSI2SK = "GSI2SK"
	IndexGSI1  = "GSI1"
	IndexGSI2  = "GSI2"
	// TTLAttribute is the attribute DynamoDB's time to live should be enabled
	// on in AWS: epoch seconds after which an item may be deleted. The code
	// never relies on it; every read checks expiry itself (dynalite has no
	// TTL at all).
	TTLAttribute = "expiresAt"
)

// TableDefinition returns the CreateTable input for a release table called
// name: string keys PK and SK, two overloaded global secondary indexes GSI1
// (GSI1PK, GSI1SK) and GSI2 (GSI2PK, GSI2SK) projecting all attributes, and
// on-demand billing. It is the single source of truth for the tests, the
// local stack and the CloudFormation template; enable TTL on TTLAttribute in
// AWS (see TimeToLive).
func TableDefinition(name string) *dynamodb.CreateTableInput {
	str := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	keys := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		}
	}
	all := &types.Projection{ProjectionType: types.ProjectionTypeAll}
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			str(AttrPK), str(AttrSK), str(AttrGSI1PK), str(AttrGSI1SK), str(AttrGSI2PK), str(AttrGSI2SK),
		},
		KeySchema:   keys(AttrPK, AttrSK),
		BillingMode: types.BillingModePayPerRequest,
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String(IndexGSI1), KeySchema: keys(AttrGSI1PK, AttrGSI1SK), Projection: all},
			{IndexName: aws.String(IndexGSI2), KeySchema: keys(AttrGSI2PK, AttrGSI2SK), Projection: all},
		},
	}
}

// TimeToLive returns the UpdateTimeToLive input that enables expiry on
// TTLAttribute in AWS. dynalite does not implement it; CreateTable does not
// call it.
func TimeToLive(name string) *dynamodb.UpdateTimeToLiveInput {
	return &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	}
}

// TableAPI is what CreateTable needs of a DynamoDB client.
type TableAPI interface {
	// CreateTable fails with *types.ResourceInUseException when the table exists.
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	// DescribeTable fails with *types.ResourceNotFoundException when it does not.
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// CreateTable creates the table from TableDefinition and waits until it and
// its indexes are ACTIVE. A table that already exists is accepted when its
// key schema and indexes match the definition; otherwise the error is of kind
// release.ErrConflict.
func CreateTable(ctx context.Context, client TableAPI, name string) error {
	def := TableDefinition(name)
	_, err := client.CreateTable(ctx, def)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	delay := 20 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("create table %s: describe: %w", name, err)
		}
		if err := matchSchema(def, out.Table); err != nil {
			return release.Errorf(release.ErrConflict, "create table %s: existing table differs from the definition: %w", name, err)
		}
		if tableActive(out.Table) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create table %s: waiting for ACTIVE (status %s): %w", name, out.Table.TableStatus, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

func tableActive(t *types.TableDescription) bool {
	if t.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range t.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

// matchSchema compares the keys of the table and of each index.
func matchSchema(def *dynamodb.CreateTableInput, t *types.TableDescription) error {
	if got, want := keyString(t.KeySchema), keyString(def.KeySchema); got != want {
		return fmt.Errorf("key schema is %s, want %s", got, want)
	}
	have := map[string]string{}
	for _, g := range t.GlobalSecondaryIndexes {
		have[aws.ToString(g.IndexName)] = keyString(g.KeySchema)
	}
	for _, g := range def.GlobalSecondaryIndexes {
		name := aws.ToString(g.IndexName)
		got, ok := have[name]
		if !ok {
			return fmt.Errorf("index %s is missing", name)
		}
		if want := keyString(g.KeySchema); got != want {
			return fmt.Errorf("index %s key schema is %s, want %s", name, got, want)
		}
	}
	return nil
}

func keyString(ks []types.KeySchemaElement) string {
	s := ""
	for _, k := range ks {
		s += fmt.Sprintf("[%s %s]", aws.ToString(k.AttributeName), k.KeyType)
	}
	return s
}
