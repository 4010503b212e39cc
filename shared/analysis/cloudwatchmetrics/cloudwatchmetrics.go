// Package cloudwatchmetrics is the analysis.Source for AWS targets: per
// period statistics from CloudWatch GetMetricData, for a Lambda alias's
// versions (AWS/Lambda Duration, Errors and Invocations by ExecutedVersion)
// and for an ALB's target groups (AWS/ApplicationELB TargetResponseTime,
// HTTPCode_Target_5XX_Count and RequestCount). CloudWatch keeps no
// per-request values, so each value is one period's average latency or
// error rate (judge with analysis.Config.PerPeriod).
package cloudwatchmetrics

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/release"
)

// API is the part of the CloudWatch client the sources use.
type API interface {
	GetMetricData(ctx context.Context, in *cw.GetMetricDataInput, opts ...func(*cw.Options)) (*cw.GetMetricDataOutput, error)
}

// DefaultPeriod is the period of a source whose Period is zero: Lambda and
// ALB publish one-minute metrics.
const DefaultPeriod = time.Minute

// DefaultDelay is how far ForTarget's sources end their window before the
// query's end: CloudWatch publishes Lambda and ALB datapoints one to three
// minutes late, and a period read before its datapoints arrived looks
// quieter (or, for errors, healthier) than it was.
const DefaultDelay = 2 * time.Minute

// Source reads one target's metrics. Build it with Lambda or ALB.
type Source struct {
	client API
	period time.Duration
	ns     string
	// dims returns the dimensions of one side (a version or target group).
	dims func(id string) ([]types.Dimension, error)
	// latency, latencyScale: the metric whose Average is the latency and
	// the factor to milliseconds; errors / requests: the Sum metrics whose
	// ratio is the error rate.
	latency        string
	latencyScale   float64
	errs, requests string
	// delay shifts the window's end back (WithDelay).
	delay time.Duration
}

var _ analysis.CountSource = (*Source)(nil)

func dim(n, v string) types.Dimension {
	return types.Dimension{Name: aws.String(n), Value: aws.String(v)}
}

// Lambda returns the source for function's alias; Query.Canary and
// Query.Baseline are version numbers. period is rounded to whole minutes
// (zero means DefaultPeriod).
func Lambda(client API, function, alias string, period time.Duration) *Source {
	return &Source{
		client: client, period: roundPeriod(period), ns: "AWS/Lambda",
		dims: func(version string) ([]types.Dimension, error) {
			if function == "" || alias == "" || version == "" {
				return nil, release.Errorf(release.ErrInvalid, "lambda metrics: function, alias and version are required (got %q, %q, %q)", function, alias, version)
			}
			return []types.Dimension{dim("FunctionName", function), dim("Resource", function+":"+alias), dim("ExecutedVersion", version)}, nil
		},
		latency: "Duration", latencyScale: 1, errs: "Errors", requests: "Invocations",
	}
}

// ALB returns the source for target groups behind the load balancer whose
// LoadBalancer dimension is loadBalancer ("app/name/id"); Query.Canary and
// Query.Baseline are target group ARNs or their dimension form
// ("targetgroup/name/id").
func ALB(client API, loadBalancer string, period time.Duration) *Source {
	return &Source{
		client: client, period: roundPeriod(period), ns: "AWS/ApplicationELB",
		dims: func(group string) ([]types.Dimension, error) {
			if i := strings.Index(group, ":targetgroup/"); strings.HasPrefix(group, "arn:") && i >= 0 {
				group = group[i+1:]
			}
			if loadBalancer == "" || !strings.HasPrefix(group, "targetgroup/") {
				return nil, release.Errorf(release.ErrInvalid, "alb metrics: want a load balancer (got %q) and a target group ARN or targetgroup/name/id (got %q)", loadBalancer, group)
			}
			return []types.Dimension{dim("TargetGroup", group), dim("LoadBalancer", loadBalancer)}, nil
		},
		latency: "TargetResponseTime", latencyScale: 1000, errs: "HTTPCode_Target_5XX_Count", requests: "RequestCount",
	}
}

// WithDelay returns a copy of s whose windows end d before the query's To
// (its From stays: the periods before the step are not the step's), so
// that periods whose datapoints may still be arriving are left out. A
// window that no whole period fits into any more gives no samples: the
// judgment is inconclusive and a step with maxExtension waits for the
// periods to be complete. Negative d is taken as 0.
func (s *Source) WithDelay(d time.Duration) *Source {
	c := *s
	c.delay = max(0, d)
	return &c
}

// Delay returns how far s's windows end before the query's To.
func (s *Source) Delay() time.Duration { return s.delay }

func roundPeriod(p time.Duration) time.Duration {
	if p <= 0 {
		return DefaultPeriod
	}
	return max(time.Minute, p.Round(time.Minute))
}

// Samples implements analysis.Source, one value per period of the window
// [From, To) rounded to whole periods: the period's average latency in
// milliseconds, or its error rate (0–1; periods without requests are
// skipped). MetricSlowRequests is an ErrInvalid-kind error: CloudWatch
// keeps no per-request latencies. CloudWatch publishes Lambda and ALB
// metrics one to three minutes late, so the window ends the source's delay
// before To (WithDelay; ForTarget's sources use DefaultDelay).
func (s *Source) Samples(ctx context.Context, q analysis.Query) ([]float64, []float64, error) {
	series, from, to, err := s.read(ctx, q)
	if err != nil || series == nil {
		return nil, nil, err
	}
	var sides [2][]float64
	for i := range sides {
		for t := from; t.Before(to); t = t.Add(s.period) {
			k := t.Unix()
			if q.Metric == analysis.MetricLatency {
				if v, ok := series[fmt.Sprintf("lat%d", i)][k]; ok {
					sides[i] = append(sides[i], v*s.latencyScale)
				}
				continue
			}
			if n := series[fmt.Sprintf("req%d", i)][k]; n > 0 {
				sides[i] = append(sides[i], min(1, series[fmt.Sprintf("err%d", i)][k]/n))
			}
		}
	}
	return sides[0], sides[1], nil
}

// fetch reads q's metric for both sides over [from, to), keyed by query id
// (lat0/lat1, or err0/req0/err1/req1) and period start (Unix seconds).
func (s *Source) fetch(ctx context.Context, q analysis.Query, from, to time.Time) (map[string]map[int64]float64, error) {
	var queries []types.MetricDataQuery
	add := func(id, metric, stat string, dims []types.Dimension) {
		queries = append(queries, types.MetricDataQuery{
			Id: aws.String(id),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(s.ns), MetricName: aws.String(metric), Dimensions: dims},
				Period: aws.Int32(int32(s.period / time.Second)), Stat: aws.String(stat),
			},
			ReturnData: aws.Bool(true),
		})
	}
	for i, id := range []string{q.Canary, q.Baseline} {
		dims, err := s.dims(id)
		if err != nil {
			return nil, err
		}
		if q.Metric == analysis.MetricLatency {
			add(fmt.Sprintf("lat%d", i), s.latency, "Average", dims)
		} else {
			add(fmt.Sprintf("err%d", i), s.errs, "Sum", dims)
			add(fmt.Sprintf("req%d", i), s.requests, "Sum", dims)
		}
	}
	series := map[string]map[int64]float64{}
	in := &cw.GetMetricDataInput{MetricDataQueries: queries, StartTime: aws.Time(from), EndTime: aws.Time(to), ScanBy: types.ScanByTimestampAscending}
	for {
		out, err := s.client.GetMetricData(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("%s metrics of %s and %s: %w", s.ns, q.Canary, q.Baseline, err)
		}
		for _, r := range out.MetricDataResults {
			id := aws.ToString(r.Id)
			if series[id] == nil {
				series[id] = map[int64]float64{}
			}
			for k, ts := range r.Timestamps {
				if k < len(r.Values) {
					series[id][ts.Unix()] = r.Values[k]
				}
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	return series, nil
}

// Counts implements analysis.CountSource for MetricErrors: the Errors (or
// 5XX) and Invocations (or RequestCount) sums of the window's complete
// periods, per side, so errors are judged per request rather than as a
// handful of period rates. Other metrics are not counted (ok false).
func (s *Source) Counts(ctx context.Context, q analysis.Query) (analysis.Counts, bool, error) {
	if q.Metric != analysis.MetricErrors {
		return analysis.Counts{}, false, nil
	}
	series, from, to, err := s.read(ctx, q)
	if err != nil {
		return analysis.Counts{}, false, err
	}
	var sides [2]analysis.Count
	for i := range sides {
		var e, n float64
		for t := from; t.Before(to); t = t.Add(s.period) {
			k := t.Unix()
			if r := series[fmt.Sprintf("req%d", i)][k]; r > 0 {
				n += r
				e += min(r, series[fmt.Sprintf("err%d", i)][k])
			}
		}
		sides[i] = analysis.Count{Events: int64(math.Round(e)), Total: int64(math.Round(n))}
	}
	return analysis.Counts{Canary: sides[0], Baseline: sides[1]}, true, nil
}

// read validates q and reads its metric over the window's whole, complete
// periods [from, to); series is nil when there is none yet.
func (s *Source) read(ctx context.Context, q analysis.Query) (series map[string]map[int64]float64, from, to time.Time, err error) {
	bad := func(format string, args ...any) (map[string]map[int64]float64, time.Time, time.Time, error) {
		return nil, from, to, release.Errorf(release.ErrInvalid, "%s metrics: %s", s.ns, fmt.Sprintf(format, args...))
	}
	from, to = q.From.UTC().Truncate(s.period), q.To.UTC().Add(-s.delay).Truncate(s.period)
	switch {
	case q.Metric == analysis.MetricSlowRequests:
		return bad("%s needs per-request latencies, which CloudWatch does not keep", q.Metric)
	case q.Metric != analysis.MetricLatency && q.Metric != analysis.MetricErrors:
		return bad("metric %q is not %s or %s", q.Metric, analysis.MetricLatency, analysis.MetricErrors)
	case q.Canary == "" || q.Baseline == "":
		return bad("canary and baseline are required")
	case !q.From.Before(q.To):
		return bad("window [%s, %s) is empty", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	case !from.Before(to):
		return nil, from, to, nil // no whole, complete period yet
	}
	series, err = s.fetch(ctx, q, from, to)
	return series, from, to, err
}

// PerPeriod reports that the source's samples are per-period statistics,
// not per-request values: the judge compares them as such.
func (s *Source) PerPeriod() bool { return true }

// ForTarget returns the source for an AWS target: Lambda for a lambdaAlias
// target (query versions), ALB for an ecsBlueGreen target (query its blue
// and green target group ARNs; the LoadBalancer dimension comes from the
// listener ARN). Its windows end DefaultDelay before the query's end
// (WithDelay changes that). Other targets are an ErrInvalid-kind error.
func ForTarget(client API, t release.Target, period time.Duration) (*Source, error) {
	switch t.Type {
	case release.TargetLambdaAlias:
		if t.Function == "" || t.Alias == "" {
			return nil, release.Errorf(release.ErrInvalid, "metrics of %s: function and alias are required", t.Name)
		}
		return Lambda(client, t.Function, t.Alias, period).WithDelay(DefaultDelay), nil
	case release.TargetECSBlueGreen:
		lb, ok := listenerBalancer(t.ListenerARN)
		if !ok {
			return nil, release.Errorf(release.ErrInvalid, "metrics of %s: want a listener ARN (…:listener/app/name/id/listener-id), got %q", t.Name, t.ListenerARN)
		}
		return ALB(client, lb, period).WithDelay(DefaultDelay), nil
	}
	return nil, release.Errorf(release.ErrInvalid, "metrics of %s: targets of type %q have no CloudWatch metrics", t.Name, t.Type)
}

// listenerBalancer returns the LoadBalancer dimension ("app/name/id") of a
// listener ARN.
func listenerBalancer(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", false
	}
	res, ok := strings.CutPrefix(parts[5], "listener/")
	if !ok {
		return "", false
	}
	f := strings.Split(res, "/")
	if len(f) != 4 || f[0] == "" || f[1] == "" || f[2] == "" {
		return "", false
	}
	return strings.Join(f[:3], "/"), true
}
