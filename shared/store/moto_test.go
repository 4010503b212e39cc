package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/store"
)

// onMoto is the prefix of the tests TestOnMoto runs: their newEnv tables
// live on moto's DynamoDB instead of dynalite.
const onMoto = "TestOnMoto/"

// backendTable returns a fresh table for t: on moto under TestOnMoto, on
// dynalite otherwise.
func backendTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	if !strings.HasPrefix(t.Name(), onMoto) {
		return dynalitetest.Table(t)
	}
	client := dynamodb.NewFromConfig(mototest.Config(t))
	name := mototest.Name(t, 200)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.CreateTable(ctx, client, name); err != nil {
		t.Fatalf("create table on moto: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var missing *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) {
			t.Errorf("delete table %s on moto: %v", name, err)
		}
	})
	return client, name
}

// TestOnMoto runs the store's tests against moto's DynamoDB, a second
// implementation beside dynalite. The tests that race conditional writes
// from many goroutines are dynalite's alone: moto_server does not make a
// conditional write atomic against a concurrent one (TestAcquireLockConcurrent
// fails there: two racing writers both win the lock, which neither DynamoDB
// nor dynalite allows), so a pass of the other racing tests on moto would
// prove nothing.
func TestOnMoto(t *testing.T) {
	tests := []struct {
		name string
		fn   func(*testing.T)
		gap  string
	}{
		{"TestAppendEventAndEvents", TestAppendEventAndEvents, ""},
		{"TestAppendEventRejectsBadInput", TestAppendEventRejectsBadInput, ""},
		{"TestClaimIdempotencyKey", TestClaimIdempotencyKey, ""},
		{"TestLockLifecycle", TestLockLifecycle, ""},
		{"TestCreateRelease", TestCreateRelease, ""},
		{"TestCreateReleaseRejectsBadInput", TestCreateReleaseRejectsBadInput, ""},
		{"TestCreateReleaseAfterCrashedClaim", TestCreateReleaseAfterCrashedClaim, ""},
		{"TestTransitionRelease", TestTransitionRelease, ""},
		{"TestTransitionReleaseLostRace", TestTransitionReleaseLostRace, ""},
		{"TestSetExecution", TestSetExecution, ""},
		{"TestListReleasesPagination", TestListReleasesPagination, ""},
		{"TestActiveReleases", TestActiveReleases, ""},
		{"TestItemShapes", TestItemShapes, ""},
		{"TestSaveAndGetSpec", TestSaveAndGetSpec, ""},
		{"TestSaveSpecRejectsBadInput", TestSaveSpecRejectsBadInput, ""},
		{"TestPipelineIndexes", TestPipelineIndexes, ""},
		{"TestTaskTokens", TestTaskTokens, ""},
		{"TestPutTaskTokenRejectsBadInput", TestPutTaskTokenRejectsBadInput, ""},
		{"TestAppendEventConcurrent", TestAppendEventConcurrent, "atomicity of concurrent conditional writes"},
		{"TestClaimIdempotencyKeyConcurrent", TestClaimIdempotencyKeyConcurrent, "atomicity of concurrent conditional writes"},
		{"TestAcquireLockConcurrent", TestAcquireLockConcurrent, "atomicity of concurrent conditional writes"},
		{"TestCreateReleaseConcurrent", TestCreateReleaseConcurrent, "atomicity of concurrent conditional writes"},
		{"TestSaveSpecConcurrentVersions", TestSaveSpecConcurrentVersions, "atomicity of concurrent conditional writes"},
		{"TestDeleteTaskTokenOneWinner", TestDeleteTaskTokenOneWinner, "atomicity of concurrent conditional writes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.gap != "" {
				mototest.Gap(t, tt.gap)
			}
			tt.fn(t)
		})
	}
}
