package tasks_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/tasks"
)

func TestDynamoDBAgainstDynalite(t *testing.T) {
	endpoint := startDynalite(t)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("releases"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	reg := states.NewRegistry()
	tasks.Register(reg, tasks.Config{DynamoDB: client})
	eng := states.New(states.Options{Tasks: reg, Clock: states.NewVirtualClock(epoch)})

	def := `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","ResultPath":null,"Next":"Get",
	    "Parameters":{"TableName":"releases","Item":{"id":{"S.$":"$.id"},"n":{"N":"1"},"tags":{"SS":["a","b"]},"meta":{"M":{"ok":{"BOOL":true},"none":{"NULL":true}}},"list":{"L":[{"S":"x"},{"N":"2"}]}},
	      "ConditionExpression":"attribute_not_exists(id)"}},
	  "Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"releases","Key":{"id":{"S.$":"$.id"}}},"ResultPath":"$.got","Next":"Update"},
	  "Update":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:updateItem","ResultPath":"$.updated","Next":"PutAgain",
	    "Parameters":{"TableName":"releases","Key":{"id":{"S.$":"$.id"}},"UpdateExpression":"SET n = n + :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"}},
	  "PutAgain":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","ResultPath":null,"Next":"Delete",
	    "Parameters":{"TableName":"releases","Item":{"id":{"S.$":"$.id"}},"ConditionExpression":"attribute_not_exists(id)"},
	    "Catch":[{"ErrorEquals":["DynamoDB.ConditionalCheckFailedException"],"ResultPath":"$.conflict","Next":"Delete"}]},
	  "Delete":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:deleteItem","Parameters":{"TableName":"releases","Key":{"id":{"S.$":"$.id"}},"ReturnValues":"ALL_OLD"},"ResultSelector":{"n.$":"$.Attributes.n.N"},"ResultPath":"$.deleted","Next":"GetGone"},
	  "GetGone":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"releases","Key":{"id":{"S.$":"$.id"}}},"ResultPath":"$.gone","End":true}}}`
	res := run(t, eng, def, `{"id":"r1"}`)
	if res.Status != states.StatusSucceeded {
		t.Fatalf("got %s %s %s, want SUCCEEDED", res.Status, res.Error, res.Cause)
	}
	out := string(res.Output)
	wantPrefix := `{"id":"r1","got":{"Item":{"id":{"S":"r1"},"list":{"L":[{"S":"x"},{"N":"2"}]},"meta":{"M":{"none":{"NULL":true},"ok":{"BOOL":true}}},"n":{"N":"1"},"tags":{"SS":["a","b"]}}},` +
		`"updated":{"Attributes":{"n":{"N":"2"}}},"conflict":{"Error":"DynamoDB.ConditionalCheckFailedException","Cause":"The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: `
	if len(out) < len(wantPrefix) || out[:len(wantPrefix)] != wantPrefix {
		t.Fatalf("got  %s\nwant %s...", out, wantPrefix)
	}
	wantSuffix := `"deleted":{"n":"2"},"gone":{}}`
	if out[len(out)-len(wantSuffix):] != wantSuffix {
		t.Errorf("got %s, want suffix %s", out, wantSuffix)
	}
}
