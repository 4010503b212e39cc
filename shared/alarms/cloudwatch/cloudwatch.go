package cloudwatch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/shipwave/shipwave/shared/alarms"
)

// API is the part of the CloudWatch client the source uses.
type API interface {
	DescribeAlarms(ctx context.Context, in *cw.DescribeAlarmsInput, opts ...func(*cw.Options)) (*cw.DescribeAlarmsOutput, error)
}

// BatchSize is the most alarm names one DescribeAlarms call accepts.
const BatchSize = 100

// Source reads alarm states from CloudWatch.
type Source struct {
	client API
}

var _ alarms.Source = (*Source)(nil)

// New returns a Source using client.
func New(client API) *Source { return &Source{client: client} }

// States describes the named alarms, BatchSize names per call and following
// NextToken, asking for both metric and composite alarms (CloudWatch returns
// only metric alarms otherwise). Alarms that do not exist are absent from
// the result. Throttling and 5xx answers are retried by the client's
// retryer; what is left is returned with context.
func (s *Source) States(ctx context.Context, names []string) (map[string]alarms.State, error) {
	names = unique(names)
	out := make(map[string]alarms.State, len(names))
	for start := 0; start < len(names); start += BatchSize {
		batch := names[start:min(start+BatchSize, len(names))]
		in := &cw.DescribeAlarmsInput{
			AlarmNames: batch,
			AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm},
			MaxRecords: aws.Int32(100),
		}
		for page := 1; ; page++ {
			resp, err := s.client.DescribeAlarms(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("describe alarms %d–%d of %d (page %d): %w", start+1, start+len(batch), len(names), page, err)
			}
			for _, a := range resp.MetricAlarms {
				if err := put(out, aws.ToString(a.AlarmName), a.StateValue); err != nil {
					return nil, err
				}
			}
			for _, a := range resp.CompositeAlarms {
				if err := put(out, aws.ToString(a.AlarmName), a.StateValue); err != nil {
					return nil, err
				}
			}
			if aws.ToString(resp.NextToken) == "" {
				break
			}
			in.NextToken = resp.NextToken
		}
	}
	return out, nil
}

func put(out map[string]alarms.State, name string, v types.StateValue) error {
	st := alarms.State(v)
	if !st.Valid() {
		return fmt.Errorf("describe alarms: alarm %s has unknown state %q", name, v)
	}
	out[name] = st
	return nil
}

// unique drops empty and repeated names, keeping the first occurrence.
func unique(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
