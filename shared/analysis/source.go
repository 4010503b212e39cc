package analysis

import (
	"context"
	"fmt"
	"time"
)

// Metric names every Source understands.
const (
	// MetricLatency is request latency in milliseconds: one value per
	// request, or per period the period's average.
	MetricLatency = "latency"
	// MetricErrors is failure: per request 1 for a 5xx/error and 0
	// otherwise (so its mean is the error rate), per period the period's
	// error rate (0–1).
	MetricErrors = "errors"
	// MetricSlowRequests is per request 1 when the request took longer than
	// Query.SlowerThan and 0 otherwise; per-request sources only.
	MetricSlowRequests = "slowRequests"
)

// Query asks a Source for one metric of the canary and the baseline over a
// window.
type Query struct {
	// Metric is MetricLatency, MetricErrors or MetricSlowRequests.
	Metric string
	// Canary and Baseline identify what to compare in the source's terms:
	// versions (local fleet, Lambda) or target groups (ALB).
	Canary, Baseline string
	// From and To bound the window [From, To).
	From, To time.Time
	// SlowerThan is MetricSlowRequests' threshold (Metric.SlowerThan).
	SlowerThan time.Duration
}

// Source returns a metric's values for the canary and the baseline.
// Implementations: fleetsamples (the local fleet, per request),
// alarms/cloudwatch's Metrics (Lambda versions and ALB target groups, per
// period).
type Source interface {
	// Samples returns the canary's and the baseline's values of q.Metric in
	// q's window, either per request or per period (as the source
	// documents). It returns an ErrInvalid-kind error for a metric the
	// source does not serve or a bad window, and wraps the cause of a
	// failed read.
	Samples(ctx context.Context, q Query) (canary, baseline []float64, err error)
}

// CountSource is a Source that can also give a two-valued metric
// (MetricErrors) as counts: how many of each side's requests had the event.
// A per-period source that has them (CloudWatch's Errors and Invocations
// sums) judges errors as per request that way (see Samples.Counts).
type CountSource interface {
	Source
	// Counts returns the canary's and the baseline's event counts of
	// q.Metric in q's window. ok is false for a metric the source does not
	// count (then Samples serves it); errors are as Samples'.
	Counts(ctx context.Context, q Query) (c Counts, ok bool, err error)
}

// Request is one judgment to run: a config, where the data comes from and
// what to compare.
type Request struct {
	Config Config
	// Canary and Baseline are passed to the source (see Query).
	Canary, Baseline string
	From, To         time.Time
}

// Analyze reads every metric of r.Config from src and judges them (see
// Judge). It returns an ErrInvalid-kind error for a bad config and wraps a
// source's error with the metric's name.
func Analyze(ctx context.Context, src Source, r Request) (Judgment, error) {
	if err := r.Config.Validate(); err != nil {
		return Judgment{}, err
	}
	data := make(map[string]Samples, len(r.Config.Metrics))
	counter, counts := src.(CountSource)
	for _, m := range r.Config.Metrics {
		q := Query{Metric: m.Name, Canary: r.Canary, Baseline: r.Baseline, From: r.From, To: r.To, SlowerThan: m.SlowerThan}
		if counts {
			n, ok, err := counter.Counts(ctx, q)
			if err != nil {
				return Judgment{}, fmt.Errorf("analysis: metric %s: %w", m.Name, err)
			}
			if ok {
				data[m.Name] = Samples{Counts: &n}
				continue
			}
		}
		c, b, err := src.Samples(ctx, q)
		if err != nil {
			return Judgment{}, fmt.Errorf("analysis: metric %s: %w", m.Name, err)
		}
		data[m.Name] = Samples{Canary: c, Baseline: b}
	}
	j, err := Judge(r.Config, data)
	if err != nil {
		return Judgment{}, err
	}
	j.Canary, j.Baseline, j.From, j.To = r.Canary, r.Baseline, r.From.UTC(), r.To.UTC()
	return j, nil
}
