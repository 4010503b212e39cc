package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

// TestCreateReleaseAfterCrashedClaim: a creator that claimed the trigger and
// died before writing the release leaves a claim; the next delivery of the
// trigger finishes the job under the claimed id.
func TestCreateReleaseAfterCrashedClaim(t *testing.T) {
	e := newEnv(t)
	ctx := storetest.Ctx(t)
	_, err := e.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(e.table),
		Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "PIPELINE#orders"}, "SK": &types.AttributeValueMemberS{Value: "TRIGGER#evt-9"},
			"type": &types.AttributeValueMemberS{Value: "trigger"}, "releaseId": &types.AttributeValueMemberS{Value: "01ORPHANED"},
			"createdAt": &types.AttributeValueMemberS{Value: "2026-01-02T03:04:05Z"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, created, err := e.store.CreateRelease(ctx, storetest.NewRelease("orders", "evt-9"))
	if err != nil || !created || got.ID != "01ORPHANED" {
		t.Fatalf("CreateRelease over an orphaned claim = %+v, created %v, %v; want id 01ORPHANED created", got, created, err)
	}
	if _, err := e.store.GetRelease(ctx, "01ORPHANED"); err != nil {
		t.Errorf("GetRelease(01ORPHANED): %v", err)
	}
}

// racingDB runs beforeUpdate once, just before the first UpdateItem, to
// make a concurrent writer win the race deterministically.
type racingDB struct {
	store.DynamoDB
	once         sync.Once
	beforeUpdate func()
}

func (d *racingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	d.once.Do(d.beforeUpdate)
	return d.DynamoDB.UpdateItem(ctx, in, optFns...)
}

func TestTransitionReleaseLostRace(t *testing.T) {
	e := newEnv(t)
	ctx := storetest.Ctx(t)
	r := mustCreate(t, e, storetest.NewRelease("orders", "push-1"))
	if _, err := e.store.TransitionRelease(ctx, r.ID, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	racer := store.New(&racingDB{DynamoDB: e.client, beforeUpdate: func() {
		if _, err := e.store.TransitionRelease(ctx, r.ID, release.StatusCancelled, "cancelled by hand"); err != nil {
			t.Errorf("concurrent TransitionRelease: %v", err)
		}
	}}, e.table, store.WithNow(e.clock.Now))
	_, err := racer.TransitionRelease(ctx, r.ID, release.StatusSucceeded, "")
	storetest.WantKind(t, "TransitionRelease that lost the race", err, release.ErrConflict)
	got, err := e.store.GetRelease(ctx, r.ID)
	if err != nil {
		t.Fatalf("GetRelease(%s): %v", r.ID, err)
	}
	if got.Status != release.StatusCancelled {
		t.Errorf("status after the race = %s, want %s (the winner's)", got.Status, release.StatusCancelled)
	}
}
