package awsfake

import (
	"fmt"
	"sort"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// getMetricData answers GetMetricData's MetricStat queries from the points
// added with Put: per query, the Sum, Average or SampleCount of the exact
// metric stream's points in each Period from StartTime, newest first
// (CloudWatch's default ScanBy TimestampDescending) or oldest first with
// TimestampAscending. Expression queries and paging beyond one page are not
// served.
func (c *CloudWatchMetrics) getMetricData(in map[string]any) (cbor.Map, string, string) {
	start, okStart := in["StartTime"].(time.Time)
	end, okEnd := in["EndTime"].(time.Time)
	queries, _ := in["MetricDataQueries"].([]any)
	ascending := in["ScanBy"] == "TimestampAscending"
	switch {
	case !okStart || !okEnd || len(queries) == 0:
		return nil, "MissingParameter", "MetricDataQueries, StartTime and EndTime are required"
	case !end.After(start):
		return nil, "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime."
	case len(queries) > 500:
		return nil, "InvalidParameterValue", "The collection MetricDataQueries must not have a size greater than 500."
	}
	results := cbor.List{}
	for i, q := range queries {
		qm, _ := q.(map[string]any)
		id, _ := qm["Id"].(string)
		stat, _ := qm["MetricStat"].(map[string]any)
		if id == "" || stat == nil {
			return nil, "InvalidParameterValue", fmt.Sprintf("MetricDataQueries[%d]: Id and MetricStat are required (the fake serves no expressions)", i)
		}
		metric, _ := stat["Metric"].(map[string]any)
		ns, _ := metric["Namespace"].(string)
		name, _ := metric["MetricName"].(string)
		period, _ := stat["Period"].(int64)
		statistic, _ := stat["Stat"].(string)
		if ns == "" || name == "" {
			return nil, "InvalidParameterValue", fmt.Sprintf("MetricDataQueries[%d] (%s): Metric.Namespace and Metric.MetricName are required", i, id)
		}
		if period <= 0 || period%60 != 0 {
			return nil, "InvalidParameterValue", fmt.Sprintf("MetricDataQueries[%d] (%s): The parameter Period must be a multiple of 60 (got %d)", i, id, period)
		}
		if statistic != "Sum" && statistic != "Average" && statistic != "SampleCount" {
			return nil, "InvalidParameterValue", fmt.Sprintf("MetricDataQueries[%d] (%s): the fake serves the Sum, Average and SampleCount statistics, not %q", i, id, statistic)
		}
		dims := map[string]string{}
		list, _ := metric["Dimensions"].([]any)
		for _, d := range list {
			m, _ := d.(map[string]any)
			dn, _ := m["Name"].(string)
			dv, _ := m["Value"].(string)
			dims[dn] = dv
		}
		c.mu.Lock()
		pts := append([]metricPoint(nil), c.points[metricKey(ns, name, dims)]...)
		c.mu.Unlock()
		type agg struct{ sum, n float64 }
		buckets := map[int64]*agg{}
		for _, p := range pts {
			if p.at.Before(start) || !p.at.Before(end) {
				continue
			}
			b := start.Unix() + (p.at.Unix()-start.Unix())/period*period
			if buckets[b] == nil {
				buckets[b] = &agg{}
			}
			buckets[b].sum += p.value
			buckets[b].n++
		}
		keys := make([]int64, 0, len(buckets))
		for k := range buckets {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool { return (keys[a] > keys[b]) != ascending })
		ts, vals := cbor.List{}, cbor.List{}
		for _, k := range keys {
			a := buckets[k]
			v := a.sum
			switch statistic {
			case "Average":
				v = a.sum / a.n
			case "SampleCount":
				v = a.n
			}
			ts = append(ts, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(k))})
			vals = append(vals, cbor.Float64(v))
		}
		results = append(results, cbor.Map{
			"Id": cbor.String(id), "Label": cbor.String(name),
			"Timestamps": ts, "Values": vals, "StatusCode": cbor.String("Complete"),
		})
	}
	return cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}, "", ""
}
