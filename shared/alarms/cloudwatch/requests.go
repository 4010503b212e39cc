package cloudwatch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/shipwave/shipwave/shared/release"
)

// MetricsAPI is the part of the CloudWatch client Requests uses.
type MetricsAPI interface {
	GetMetricStatistics(ctx context.Context, in *cw.GetMetricStatisticsInput, opts ...func(*cw.Options)) (*cw.GetMetricStatisticsOutput, error)
}

// Requests (a control.Requests) counts the requests a candidate version served from the
// metrics AWS publishes on its own: Lambda's Invocations of the alias by
// ExecutedVersion, and an ALB's RequestCount for the candidate target
// group. CloudWatch metrics arrive a minute or two late, so a count is a
// lower bound; a bake that needs data extends until it is enough.
type Requests struct {
	client MetricsAPI
	now    func() time.Time
}

// NewRequests returns a Requests using client; now is the clock (nil means
// time.Now).
func NewRequests(client MetricsAPI, now func() time.Time) *Requests {
	if now == nil {
		now = time.Now
	}
	return &Requests{client: client, now: now}
}

// maxDatapoints is the most datapoints one GetMetricStatistics returns.
const maxDatapoints = 1440

// CandidateRequests returns the requests candidate served on t since
// since. Targets of other types are an ErrInvalid-kind error.
func (r *Requests) CandidateRequests(ctx context.Context, t release.Target, candidate string, since time.Time) (int64, error) {
	var ns, metric string
	var dims []types.Dimension
	switch t.Type {
	case release.TargetLambdaAlias:
		if t.Function == "" || t.Alias == "" || candidate == "" {
			return 0, release.Errorf(release.ErrInvalid, "count requests on %s: function, alias and candidate version are required", t.Name)
		}
		ns, metric = "AWS/Lambda", "Invocations"
		dims = lambdaVersionDims(t.Function, t.Alias, candidate)
	case release.TargetECSBlueGreen:
		group, okGroup := arnResource(candidate, "targetgroup/")
		lb, okLB := listenerBalancer(t.ListenerARN)
		if !okGroup || !okLB {
			return 0, release.Errorf(release.ErrInvalid, "count requests on %s: want a target group ARN (got %q) and a listener ARN (got %q)", t.Name, candidate, t.ListenerARN)
		}
		ns, metric = "AWS/ApplicationELB", "RequestCount"
		dims = []types.Dimension{dim("TargetGroup", group), dim("LoadBalancer", lb)}
	default:
		return 0, release.Errorf(release.ErrInvalid, "count requests on %s: targets of type %q have no request metrics", t.Name, t.Type)
	}
	end := r.now().UTC().Truncate(time.Minute).Add(time.Minute)
	start := since.UTC().Truncate(time.Minute)
	if !start.Before(end) {
		return 0, nil
	}
	period := int32(60)
	for end.Sub(start)/(time.Duration(period)*time.Second) > maxDatapoints {
		period *= 5
	}
	out, err := r.client.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{
		Namespace: aws.String(ns), MetricName: aws.String(metric), Dimensions: dims,
		StartTime: aws.Time(start), EndTime: aws.Time(end), Period: aws.Int32(period),
		Statistics: []types.Statistic{types.StatisticSum},
	})
	if err != nil {
		return 0, fmt.Errorf("count requests on %s (%s %s): %w", t.Name, ns, metric, err)
	}
	var sum float64
	for _, p := range out.Datapoints {
		sum += aws.ToFloat64(p.Sum)
	}
	return int64(sum), nil
}

// arnResource returns the resource part of an ARN ("targetgroup/name/id")
// when it starts with prefix.
func arnResource(arn, prefix string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[5], prefix) {
		return "", false
	}
	return parts[5], true
}

// listenerBalancer returns the LoadBalancer dimension ("app/name/id") of a
// listener ARN (…:listener/app/name/id/listener-id).
func listenerBalancer(arn string) (string, bool) {
	res, ok := arnResource(arn, "listener/")
	if !ok {
		return "", false
	}
	parts := strings.Split(strings.TrimPrefix(res, "listener/"), "/")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", false
	}
	return strings.Join(parts[:3], "/"), true
}

func dim(name, value string) types.Dimension {
	return types.Dimension{Name: aws.String(name), Value: aws.String(value)}
}

// lambdaVersionDims are the dimensions of the metrics one version of
// function serves through alias.
func lambdaVersionDims(function, alias, version string) []types.Dimension {
	return []types.Dimension{dim("FunctionName", function), dim("Resource", function+":"+alias), dim("ExecutedVersion", version)}
}
