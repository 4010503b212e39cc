package sfn_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control/callbackstest"
	"github.com/shipwave/shipwave/shared/sfn"
)

// TestCallbacksContract runs the control.TaskCallbacks contract against the
// Step Functions adapter and awsfake's Step Functions.
func TestCallbacksContract(t *testing.T) {
	callbackstest.Run(t, func(t *testing.T) callbackstest.Backend {
		fake := awsfake.NewSFN(t)
		var n atomic.Int64
		token := func() string { return fmt.Sprintf("AQCEAAAAKgAAAAMAAAAAAAAAA%03d", n.Add(1)) }
		return callbackstest.Backend{
			Callbacks: sfn.NewCallbacks(awssfn.NewFromConfig(awsfake.Config(fake.URL()))),
			Waiting: func(t *testing.T) string {
				tok := token()
				fake.Wait(tok)
				return tok
			},
			Ended: func(t *testing.T, tok string) callbackstest.Outcome {
				o, ok := fake.Outcome(tok)
				if !ok || o.State == "waiting" {
					t.Fatalf("task %s has not ended (%+v)", tok, o)
				}
				return callbackstest.Outcome{Succeeded: o.State == "succeeded", Output: o.Output, Error: o.Error, Cause: o.Cause}
			},
			TimedOut: func(t *testing.T) string {
				tok := token()
				fake.Wait(tok)
				fake.TimeOut(tok)
				return tok
			},
			Unknown: "AQCEAAAAKgAAAAMAAAAAAAAAAW5vLXN1Y2gtdG9rZW4=",
		}
	})
}
