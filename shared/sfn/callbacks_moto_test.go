package sfn_test

import (
	"context"
	"errors"
	"testing"

	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/sfn"
)

// TestCallbacksMoto sends callbacks to moto's Step Functions. moto 5.2.1
// runs no state machine in server mode, so no execution ever waits for a
// task token there: the waiting, timed-out and completed cases run against
// awsfake only (TestSendTaskSuccess, TestErrors). What moto can answer, an
// unknown token, must end the task as AWS's TaskDoesNotExist does.
func TestCallbacksMoto(t *testing.T) {
	cb := sfn.NewCallbacks(awssfn.NewFromConfig(mototest.Config(t)))
	err := cb.SendTaskFailure(context.Background(), "AQCEAAAAKgAAAAMAAAAAAAAAAW5vLXN1Y2gtdG9rZW4=", "AlarmTriggered", "orders-5xx")
	var ended *sfn.TaskEnded
	if !errors.As(err, &ended) {
		mototest.Gap(t, "task tokens: moto 5.2.1 answers an unknown token with "+errString(err)+", not TaskDoesNotExist, and runs no waitForTaskToken state")
	}
}

func errString(err error) string {
	if err == nil {
		return "success"
	}
	return err.Error()
}
