package codedeploy_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/shipwave/shipwave/shared/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// TestReportMoto reports a hook status to moto. moto 5.2.1's CodeDeploy
// has no PutLifecycleEventHookExecutionStatus (nor lifecycle hooks), so the
// hook's cases run against awsfake's JSON service; this test says so as
// long as moto cannot answer.
func TestReportMoto(t *testing.T) {
	cfg := mototest.Config(t)
	cfg.RetryMaxAttempts = 1 // moto answers what it lacks with a 500
	client := cd.NewFromConfig(cfg)
	_, err := client.PutLifecycleEventHookExecutionStatus(context.Background(), &cd.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String("d-ABCDEF123"), LifecycleEventHookExecutionId: aws.String("hook-1"), Status: cdtypes.LifecycleEventStatusSucceeded})
	if err != nil {
		mototest.Gap(t, "CodeDeploy hook status: "+err.Error())
	}
}
