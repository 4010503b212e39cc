package cloudwatch

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

// MetricDataAPI is the part of the CloudWatch client Metrics uses.
type MetricDataAPI interface {
	GetMetricData(ctx context.Context, in *cw.GetMetricDataInput, opts ...func(*cw.Options)) (*cw.GetMetricDataOutput, error)
}

// DefaultMetricsPeriod is the period of a Metrics whose period is zero:
// Lambda and ALB publish one-minute metrics.
const DefaultMetricsPeriod = time.Minute

// DefaultDelay is how far MetricsFor's sources end their window before the
// query's end: CloudWatch publishes Lambda and ALB datapoints one to three
// minutes late, and a period read before its datapoints arrived looks
// quieter (or, for errors, healthier) than it was.
const DefaultDelay = 2 * time.Minute

// Metrics (an analysis.Source) reads one target's per-period statistics
// with GetMetricData. Build it with LambdaMetrics, ALBMetrics or
// MetricsFor.
type Metrics struct {
	client MetricDataAPI
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
	// syntheticDims returns the dimensions of the synthetic requests to one
	// side (Lambda: the version invoked directly); nil for a source with
	// none (ALB). reads says which series a read sums.
	syntheticDims func(id string) []types.Dimension
	reads         reads
}

// reads is which series of a side a Metrics sums.
type reads int

const (
	readReal      reads = iota // real traffic only (the alias's)
	readMixed                  // real and synthetic
	readSynthetic              // synthetic only
)

var _ analysis.CountSource = (*Metrics)(nil)

// LambdaMetrics returns the source for function's alias; Query.Canary and
// Query.Baseline are version numbers. period is rounded to whole minutes
// (zero means DefaultMetricsPeriod).
func LambdaMetrics(client MetricDataAPI, function, alias string, period time.Duration) *Metrics {
	return &Metrics{
		client: client, period: roundPeriod(period), ns: "AWS/Lambda",
		dims: func(version string) ([]types.Dimension, error) {
			if function == "" || alias == "" || version == "" {
				return nil, release.Errorf(release.ErrInvalid, "lambda metrics: function, alias and version are required (got %q, %q, %q)", function, alias, version)
			}
			return lambdaVersionDims(function, alias, version), nil
		},
		syntheticDims: func(version string) []types.Dimension {
			return []types.Dimension{dim("FunctionName", function), dim("Resource", function+":"+version)}
		},
		latency: "Duration", latencyScale: 1, errs: "Errors", requests: "Invocations",
	}
}

// WithSyntheticRequests (with SyntheticOnly, control.SyntheticSource): each side's
// real traffic and its synthetic requests together. CloudWatch records an
// invocation of a version under FunctionName and Resource=<function>:
// <version>, and an invocation through the alias under Resource=
// <function>:<alias>, with ExecutedVersion naming the version that ran
// (ExecutedVersion applies to alias invocations only): the synthetic
// function invokes versions directly, so its requests are the version
// series, never the alias's (the Lambda Developer Guide, "Working with
// Lambda function metrics", on the FunctionName, Resource and
// ExecutedVersion dimensions). Latency is then the Duration sum over the
// invocation sum of both series, per period. A source without synthetic
// requests (ALB) is returned as it is.
func (s *Metrics) WithSyntheticRequests() analysis.Source {
	if s.syntheticDims == nil {
		return s
	}
	c := *s
	c.reads = readMixed
	return &c
}

// SyntheticOnly implements control.SyntheticSource: each side's synthetic
// requests alone (Lambda: the Resource=<function>:<version> series). A
// source without synthetic requests (ALB) returns one whose reads are an
// ErrInvalid-kind error: there is nothing to judge.
func (s *Metrics) SyntheticOnly() analysis.Source {
	if s.syntheticDims == nil {
		return noSynthetic{ns: s.ns}
	}
	c := *s
	c.reads = readSynthetic
	return &c
}

// noSynthetic is the synthetic-only source of a target that gets none.
type noSynthetic struct{ ns string }

func (n noSynthetic) Samples(context.Context, analysis.Query) ([]float64, []float64, error) {
	return nil, nil, release.Errorf(release.ErrInvalid, "%s metrics: no synthetic requests are sent to these targets", n.ns)
}

// ALBMetrics returns the source for target groups behind the load balancer
// whose LoadBalancer dimension is loadBalancer ("app/name/id");
// Query.Canary and Query.Baseline are target group ARNs or their dimension
// form ("targetgroup/name/id").
func ALBMetrics(client MetricDataAPI, loadBalancer string, period time.Duration) *Metrics {
	return &Metrics{
		client: client, period: roundPeriod(period), ns: "AWS/ApplicationELB",
		dims: func(group string) ([]types.Dimension, error) {
			if res, ok := arnResource(group, "targetgroup/"); ok {
				group = res
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
func (s *Metrics) WithDelay(d time.Duration) *Metrics {
	c := *s
	c.delay = max(0, d)
	return &c
}

// Delay returns how far s's windows end before the query's To.
func (s *Metrics) Delay() time.Duration { return s.delay }

func roundPeriod(p time.Duration) time.Duration {
	if p <= 0 {
		return DefaultMetricsPeriod
	}
	return max(time.Minute, p.Round(time.Minute))
}

// Samples implements analysis.Source, one value per period of the window
// [From, To) rounded to whole periods: the period's average latency in
// milliseconds, or its error rate (0–1; periods without requests are
// skipped). MetricSlowRequests is an ErrInvalid-kind error: CloudWatch
// keeps no per-request latencies. CloudWatch publishes Lambda and ALB
// metrics one to three minutes late, so the window ends the source's delay
// before To (WithDelay; MetricsFor's sources use DefaultDelay).
func (s *Metrics) Samples(ctx context.Context, q analysis.Query) ([]float64, []float64, error) {
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
func (s *Metrics) fetch(ctx context.Context, q analysis.Query, from, to time.Time) (map[string]map[int64]float64, error) {
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
	sums := false // several series per side: read sums and combine them
	for i, id := range []string{q.Canary, q.Baseline} {
		sets, err := s.sideDims(id)
		if err != nil {
			return nil, err
		}
		sums = len(sets) > 1
		for j, dims := range sets {
			switch {
			case q.Metric == analysis.MetricLatency && !sums:
				add(fmt.Sprintf("lat%d", i), s.latency, "Average", dims)
			case q.Metric == analysis.MetricLatency:
				add(fmt.Sprintf("dur%d_%d", i, j), s.latency, "Sum", dims)
				add(fmt.Sprintf("n%d_%d", i, j), s.requests, "Sum", dims)
			case !sums:
				add(fmt.Sprintf("err%d", i), s.errs, "Sum", dims)
				add(fmt.Sprintf("req%d", i), s.requests, "Sum", dims)
			default:
				add(fmt.Sprintf("err%d_%d", i, j), s.errs, "Sum", dims)
				add(fmt.Sprintf("req%d_%d", i, j), s.requests, "Sum", dims)
			}
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
	if sums {
		series = combine(series, q.Metric == analysis.MetricLatency)
	}
	return series, nil
}

// sideDims returns the dimension sets whose series make up one side, as
// s.reads says.
func (s *Metrics) sideDims(id string) ([][]types.Dimension, error) {
	real, err := s.dims(id)
	if err != nil {
		return nil, err
	}
	switch {
	case s.syntheticDims == nil || s.reads == readReal:
		return [][]types.Dimension{real}, nil
	case s.reads == readSynthetic:
		return [][]types.Dimension{s.syntheticDims(id)}, nil
	}
	return [][]types.Dimension{real, s.syntheticDims(id)}, nil
}

// combine folds the per-series sums of each side (dur/n or err/req, with a
// _<series> suffix) into the single-series form: lat<side> is the
// period's Duration sum over its invocation sum; err<side> and req<side>
// the sums.
func combine(series map[string]map[int64]float64, latency bool) map[string]map[int64]float64 {
	out := map[string]map[int64]float64{}
	sum := func(prefix string, side int) map[int64]float64 {
		m := map[int64]float64{}
		for id, vals := range series {
			if p, ok := strings.CutPrefix(id, fmt.Sprintf("%s%d_", prefix, side)); ok && p != "" {
				for k, v := range vals {
					m[k] += v
				}
			}
		}
		return m
	}
	for i := range 2 {
		if !latency {
			out[fmt.Sprintf("err%d", i)], out[fmt.Sprintf("req%d", i)] = sum("err", i), sum("req", i)
			continue
		}
		dur, n := sum("dur", i), sum("n", i)
		lat := map[int64]float64{}
		for k, c := range n {
			if c > 0 {
				lat[k] = dur[k] / c
			}
		}
		out[fmt.Sprintf("lat%d", i)] = lat
	}
	return out
}

// Counts implements analysis.CountSource for MetricErrors: the Errors (or
// 5XX) and Invocations (or RequestCount) sums of the window's complete
// periods, per side, so errors are judged per request rather than as a
// handful of period rates. Other metrics are not counted (ok false).
func (s *Metrics) Counts(ctx context.Context, q analysis.Query) (analysis.Counts, bool, error) {
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
func (s *Metrics) read(ctx context.Context, q analysis.Query) (series map[string]map[int64]float64, from, to time.Time, err error) {
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
func (s *Metrics) PerPeriod() bool { return true }

// MetricsFor returns the source for an AWS target: Lambda for a lambdaAlias
// target (query versions), ALB for an ecsBlueGreen target (query its blue
// and green target group ARNs; the LoadBalancer dimension comes from the
// listener ARN). Its windows end DefaultDelay before the query's end
// (WithDelay changes that). Other targets are an ErrInvalid-kind error.
func MetricsFor(client MetricDataAPI, t release.Target, period time.Duration) (*Metrics, error) {
	switch t.Type {
	case release.TargetLambdaAlias:
		if t.Function == "" || t.Alias == "" {
			return nil, release.Errorf(release.ErrInvalid, "metrics of %s: function and alias are required", t.Name)
		}
		return LambdaMetrics(client, t.Function, t.Alias, period).WithDelay(DefaultDelay), nil
	case release.TargetECSBlueGreen:
		lb, ok := listenerBalancer(t.ListenerARN)
		if !ok {
			return nil, release.Errorf(release.ErrInvalid, "metrics of %s: want a listener ARN (…:listener/app/name/id/listener-id), got %q", t.Name, t.ListenerARN)
		}
		return ALBMetrics(client, lb, period).WithDelay(DefaultDelay), nil
	}
	return nil, release.Errorf(release.ErrInvalid, "metrics of %s: targets of type %q have no CloudWatch metrics", t.Name, t.Type)
}
