package jobworker_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cp "github.com/aws/aws-sdk-go-v2/service/codepipeline"

	"github.com/shipwave/shipwave/shared/mototest"
)

// TestJobResultsMoto reports a job result to moto. moto 5.2.1's
// CodePipeline knows pipelines only, not jobs (PollForJobs,
// AcknowledgeJob, PutJob*Result), so the worker's cases run against
// awsfake.CodePipeline; this test says so as long as moto cannot answer.
func TestJobResultsMoto(t *testing.T) {
	cfg := mototest.Config(t)
	cfg.RetryMaxAttempts = 1 // moto answers what it lacks with a 500
	client := cp.NewFromConfig(cfg)
	_, err := client.PutJobSuccessResult(context.Background(), &cp.PutJobSuccessResultInput{JobId: aws.String("11111111-2222-3333-4444-555555555555")})
	if err != nil {
		mototest.Gap(t, "CodePipeline jobs: "+err.Error())
	}
}
