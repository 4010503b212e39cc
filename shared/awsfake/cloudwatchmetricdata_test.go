package awsfake_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/awsfake"
)

func TestGetMetricData(t *testing.T) {
	f := awsfake.NewCloudWatchMetrics(t)
	c := cw.NewFromConfig(awsfake.Config(f.URL()))
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	dims := map[string]string{"FunctionName": "f"}
	for i, v := range []float64{1, 3, 5, 7} {
		f.Put("AWS/Lambda", "Duration", dims, start.Add(time.Duration(i/2)*time.Minute+time.Second), v)
	}
	query := func(period int32, stat string, scan types.ScanBy) (*cw.GetMetricDataOutput, error) {
		return c.GetMetricData(t.Context(), &cw.GetMetricDataInput{
			StartTime: aws.Time(start), EndTime: aws.Time(start.Add(3 * time.Minute)), ScanBy: scan,
			MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("d"), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Duration"), Dimensions: []types.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("f")}}},
				Period: aws.Int32(period), Stat: aws.String(stat),
			}}},
		})
	}
	out, err := query(60, "Average", types.ScanByTimestampAscending)
	if err != nil {
		t.Fatal(err)
	}
	r := out.MetricDataResults[0]
	if len(r.Values) != 2 || r.Values[0] != 2 || r.Values[1] != 6 || !r.Timestamps[0].Equal(start) || r.StatusCode != types.StatusCodeComplete {
		t.Errorf("ascending averages %v at %v (%s), want [2 6] from %s", r.Values, r.Timestamps, r.StatusCode, start)
	}
	out, err = query(60, "Sum", "")
	if err != nil {
		t.Fatal(err)
	}
	if v := out.MetricDataResults[0].Values; len(v) != 2 || v[0] != 12 || v[1] != 4 {
		t.Errorf("default (newest first) sums %v, want [12 4]", v)
	}
	var api smithy.APIError
	if _, err := query(30, "Sum", ""); !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("period 30: err = %v, want InvalidParameterValue", err)
	}
	if _, err := query(60, "p99", ""); !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("p99: err = %v, want InvalidParameterValue (not served by the fake)", err)
	}
}
