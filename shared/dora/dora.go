// Package dora computes the four DORA metrics of a pipeline over a window
// from its releases and their event logs:
//
//   - Deployment frequency: releases that ended SUCCEEDED in the window,
//     per day.
//   - Lead time for changes: for each of those, from the trigger's time
//     (the commit or push the trigger reported; the release's creation when
//     the trigger gave none) to the release's end event (every target fully
//     promoted). Median and each release's value.
//   - Change failure rate: releases that ended ROLLED_BACK, FAILED or
//     NEEDS_ATTENTION in the window over those plus the succeeded ones.
//     Cancelled and superseded releases changed nothing and are not counted;
//     break-glass restores are not deployments and are not counted.
//   - Time to restore: for each failed release, from its first failure
//     signal (an alarm, a failed hook or load test, a failed analysis, a
//     rollback request or start) to its end event (its targets restored).
//     Median and each release's value.
//
// A release ends at the time of its one end event (Status.EndEvent); a
// release whose log has none yet is taken to end at UpdatedAt.
package dora

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Input is one ended release and its event log.
type Input struct {
	Release release.Release
	Events  []release.Event
}

// Point is one release's contribution to a metric.
type Point struct {
	ReleaseID string        `json:"releaseId"`
	Version   string        `json:"version"`
	End       time.Time     `json:"end"`
	Value     time.Duration `json:"value"` // lead time or time to restore
}

// Bucket counts the releases that ended in one slice of the window.
type Bucket struct {
	Start     time.Time `json:"start"`
	Succeeded int       `json:"succeeded"`
	Failed    int       `json:"failed"`
}

// Metrics are a pipeline's DORA metrics over [From, To).
type Metrics struct {
	Pipeline string    `json:"pipeline"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// Deployments is how many releases succeeded; PerDay divides them by
	// the window's length in days.
	Deployments int     `json:"deployments"`
	PerDay      float64 `json:"deploymentsPerDay"`
	Failures    int     `json:"failures"`
	// ChangeFailureRate is Failures/(Deployments+Failures), 0 when both
	// are 0.
	ChangeFailureRate float64 `json:"changeFailureRate"`
	// LeadTime and TimeToRestore are medians (0 without data).
	LeadTime      time.Duration `json:"leadTime"`
	TimeToRestore time.Duration `json:"timeToRestore"`
	LeadTimes     []Point       `json:"leadTimes"`
	Restores      []Point       `json:"restores"`
	Buckets       []Bucket      `json:"buckets"`
	BucketSize    time.Duration `json:"bucketSize"`
}

// failureSignals are the events that say a release has started to fail.
var failureSignals = map[release.EventType]bool{
	release.EventAlarm: true, release.EventHookFailed: true, release.EventLoadTestFailed: true,
	release.EventRollbackRequest: true, release.EventRollbackStarted: true,
}

func failed(s release.Status) bool {
	return s == release.StatusRolledBack || s == release.StatusFailed || s == release.StatusNeedsAttention
}

// End is when a release ended: its end event's time, else UpdatedAt.
func End(in Input) time.Time {
	want := in.Release.Status.EndEvent()
	for _, ev := range in.Events {
		if want != "" && ev.Type == want {
			return ev.Time
		}
	}
	return in.Release.UpdatedAt
}

// Compute returns the metrics of the releases in ins that ended in [from, to).
func Compute(pipeline string, ins []Input, from, to time.Time) Metrics {
	m := Metrics{Pipeline: pipeline, From: from, To: to, LeadTimes: []Point{}, Restores: []Point{}, Buckets: []Bucket{}}
	m.BucketSize = 24 * time.Hour
	if to.Sub(from) <= 48*time.Hour {
		m.BucketSize = time.Hour
	}
	for t := from; t.Before(to); t = t.Add(m.BucketSize) {
		m.Buckets = append(m.Buckets, Bucket{Start: t})
	}
	for _, in := range ins {
		r := in.Release
		if !r.Status.Terminal() || r.Trigger.Kind == release.TriggerRestore {
			continue
		}
		end := End(in)
		if end.Before(from) || !end.Before(to) {
			continue
		}
		b := int(end.Sub(from) / m.BucketSize)
		switch {
		case r.Status == release.StatusSucceeded:
			m.Deployments++
			start := r.Trigger.Time
			if start.IsZero() || start.After(end) {
				start = r.CreatedAt
			}
			m.LeadTimes = append(m.LeadTimes, Point{ReleaseID: r.ID, Version: r.Version, End: end, Value: end.Sub(start)})
			if b < len(m.Buckets) {
				m.Buckets[b].Succeeded++
			}
		case failed(r.Status):
			m.Failures++
			if b < len(m.Buckets) {
				m.Buckets[b].Failed++
			}
			for _, ev := range in.Events {
				if failureSignals[ev.Type] && !ev.Time.After(end) {
					m.Restores = append(m.Restores, Point{ReleaseID: r.ID, Version: r.Version, End: end, Value: end.Sub(ev.Time)})
					break
				}
			}
		}
	}
	if days := to.Sub(from).Hours() / 24; days > 0 {
		m.PerDay = float64(m.Deployments) / days
	}
	if n := m.Deployments + m.Failures; n > 0 {
		m.ChangeFailureRate = float64(m.Failures) / float64(n)
	}
	byEnd := func(ps []Point) {
		sort.Slice(ps, func(i, j int) bool { return ps[i].End.Before(ps[j].End) })
	}
	byEnd(m.LeadTimes)
	byEnd(m.Restores)
	m.LeadTime = median(m.LeadTimes)
	m.TimeToRestore = median(m.Restores)
	return m
}

func median(ps []Point) time.Duration {
	if len(ps) == 0 {
		return 0
	}
	vs := make([]time.Duration, len(ps))
	for i, p := range ps {
		vs[i] = p.Value
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// MaxWindow bounds a window.
const MaxWindow = 366 * 24 * time.Hour

// ParseWindow reads a window: a Go duration ("12h", "90m") or a number of
// days ("7d"), from 1 minute to MaxWindow.
func ParseWindow(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, release.Errorf(release.ErrInvalid, "window %q: want a duration such as 24h or a number of days such as 7d", s)
		}
		if days < 0 || days > int(MaxWindow/(24*time.Hour)) {
			days = -1 // refused below, without overflowing
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, release.Errorf(release.ErrInvalid, "window %q: want a duration such as 24h or a number of days such as 7d", s)
		}
	}
	if d < time.Minute || d > MaxWindow {
		return 0, release.Errorf(release.ErrInvalid, "window %q: want from 1m to %dd", s, int(MaxWindow.Hours()/24))
	}
	return d, nil
}

// String is a one-line summary.
func (m Metrics) String() string {
	return fmt.Sprintf("%s: %d deployments (%.2f/day), lead time %s, change failure rate %.0f%%, time to restore %s",
		m.Pipeline, m.Deployments, m.PerDay, m.LeadTime.Round(time.Second), m.ChangeFailureRate*100, m.TimeToRestore.Round(time.Second))
}
