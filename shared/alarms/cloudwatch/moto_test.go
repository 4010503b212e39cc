package cloudwatch_test

import (
	"context"
	"testing"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	"github.com/shipwave/shipwave/shared/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// TestStatesMoto reads alarm states from moto. The pinned CloudWatch client
// speaks Smithy RPC v2 CBOR, which moto 5.2.1 does not (it serves the query
// protocol only), so the alarm source's cases run against awsfake's CBOR
// CloudWatch; this test says so as long as moto cannot answer.
func TestStatesMoto(t *testing.T) {
	src := cloudwatch.New(cw.NewFromConfig(mototest.Config(t)))
	_, err := src.States(context.Background(), []string{"orders-5xx"})
	if err != nil {
		mototest.Gap(t, "CloudWatch RPC v2 CBOR protocol: "+err.Error())
	}
}
