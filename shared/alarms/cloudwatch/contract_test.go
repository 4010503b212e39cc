package cloudwatch_test

import (
	"testing"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/alarms/alarmstest"
	"github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	"github.com/shipwave/shipwave/shared/awsfake"
)

// TestSourceContract runs the alarms.Source contract against CloudWatch on
// awsfake.
func TestSourceContract(t *testing.T) {
	alarmstest.Run(t, func(t *testing.T, want map[string]alarms.State) alarms.Source {
		fake := awsfake.NewCloudWatch(t)
		for name, st := range want {
			fake.PutAlarm(awsfake.Alarm{Name: name, State: string(st)})
		}
		fake.PutAlarm(awsfake.Alarm{Name: "unrelated", State: "ALARM"})
		return cloudwatch.New(cw.NewFromConfig(awsfake.Config(fake.URL())))
	})
}
