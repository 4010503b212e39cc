package awsfake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cp "github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"

	"github.com/shipwave/shipwave/shared/awsfake"
)

func TestCodePipelineJobRules(t *testing.T) {
	ctx := context.Background()
	fake := awsfake.NewCodePipeline(t)
	client := cp.NewFromConfig(awsfake.Config(fake.URL()))
	at := &cptypes.ActionTypeId{Category: cptypes.ActionCategoryDeploy, Owner: cptypes.ActionOwnerCustom, Provider: aws.String("Shipwave"), Version: aws.String("1")}
	id := fake.AddJob("Shipwave", `{"pipeline":"orders"}`, "abc")

	polled, err := client.PollForJobs(ctx, &cp.PollForJobsInput{ActionTypeId: at})
	if err != nil || len(polled.Jobs) != 1 || aws.ToString(polled.Jobs[0].Id) != id {
		t.Fatalf("poll: got %+v, %v", polled, err)
	}
	job := polled.Jobs[0]
	if got := job.Data.ActionConfiguration.Configuration["UserParameters"]; got != `{"pipeline":"orders"}` {
		t.Errorf("user parameters %q", got)
	}
	if aws.ToString(job.Data.InputArtifacts[0].Revision) != "abc" {
		t.Errorf("revision %q, want abc", aws.ToString(job.Data.InputArtifacts[0].Revision))
	}
	var nonce *cptypes.InvalidNonceException
	if _, err := client.AcknowledgeJob(ctx, &cp.AcknowledgeJobInput{JobId: job.Id, Nonce: aws.String("wrong")}); !errors.As(err, &nonce) {
		t.Fatalf("wrong nonce: got %v, want InvalidNonceException", err)
	}
	ack, err := client.AcknowledgeJob(ctx, &cp.AcknowledgeJobInput{JobId: job.Id, Nonce: job.Nonce})
	if err != nil || ack.Status != cptypes.JobStatusInProgress {
		t.Fatalf("acknowledge: got %+v, %v", ack, err)
	}
	// Output variables may not come with a continuation token.
	if _, err := client.PutJobSuccessResult(ctx, &cp.PutJobSuccessResultInput{JobId: job.Id, ContinuationToken: aws.String("t"),
		OutputVariables: map[string]string{"a": "b"}}); err == nil {
		t.Fatal("output variables with a continuation token were accepted")
	}
	if _, err := client.PutJobSuccessResult(ctx, &cp.PutJobSuccessResultInput{JobId: job.Id, ContinuationToken: aws.String("t1")}); err != nil {
		t.Fatal(err)
	}
	// A continued custom job is dispatched again with its token.
	polled, err = client.PollForJobs(ctx, &cp.PollForJobsInput{ActionTypeId: at})
	if err != nil || len(polled.Jobs) != 1 || aws.ToString(polled.Jobs[0].Data.ContinuationToken) != "t1" {
		t.Fatalf("second poll: got %+v, %v", polled, err)
	}
	if _, err := client.AcknowledgeJob(ctx, &cp.AcknowledgeJobInput{JobId: job.Id, Nonce: job.Nonce}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutJobFailureResult(ctx, &cp.PutJobFailureResultInput{JobId: job.Id,
		FailureDetails: &cptypes.FailureDetails{Type: cptypes.FailureTypeJobFailed, Message: aws.String("rolled back")}}); err != nil {
		t.Fatal(err)
	}
	var state *cptypes.InvalidJobStateException
	if _, err := client.PutJobSuccessResult(ctx, &cp.PutJobSuccessResultInput{JobId: job.Id}); !errors.As(err, &state) {
		t.Fatalf("result after the end: got %v, want InvalidJobStateException", err)
	}
	var missing *cptypes.JobNotFoundException
	if _, err := client.PutJobSuccessResult(ctx, &cp.PutJobSuccessResultInput{JobId: aws.String("nope")}); !errors.As(err, &missing) {
		t.Fatalf("unknown job: got %v, want JobNotFoundException", err)
	}
	j, _ := fake.Job(id)
	if j.Status != "Failed" || j.FailureMessage != "rolled back" {
		t.Errorf("job %+v", j)
	}
}
