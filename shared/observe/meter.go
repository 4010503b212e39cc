package observe

import (
	"context"
	"log/slog"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// ReleaseReader is what Meter reads to compute durations.
type ReleaseReader interface {
	// GetRelease returns an error of kind release.ErrNotFound for an
	// unknown id.
	GetRelease(ctx context.Context, id string) (release.Release, error)
	// Events lists a release's log after seq afterSeq, at most limit
	// entries (0: no limit).
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
}

// Meter turns release log events into metrics:
//
//   - ReleaseStarted → ReleasesStarted
//   - ReleaseSucceeded → ReleasesSucceeded and LeadTimeSeconds, from the
//     trigger's time (the release's creation when the trigger has none)
//   - ReleaseRolledBack (the end event of a ROLLED_BACK release; and, from
//     logs written before each status had its own end event, a
//     ReleaseFailed of a release that ended ROLLED_BACK) → ReleasesRolledBack:
//     a superseded, cancelled or rejected release, or one that ended FAILED
//     or NEEDS_ATTENTION (a person must look), is no rollback
//   - RolledBack → RollbackDurationSeconds, from the target's latest
//     RollbackStarted
//   - BakePassed → BakePassed; AlarmTriggered → BakeFailed
//
// Metrics are best effort: a failed lookup or write is logged, never
// returned, so it cannot fail a deploy.
type Meter struct {
	Metrics  *Metrics
	Releases ReleaseReader
	Logger   *slog.Logger
}

// Observe records the metrics of one appended event.
func (m *Meter) Observe(ctx context.Context, ev release.Event) {
	if m == nil || m.Metrics == nil {
		return
	}
	f := Fields{ReleaseID: ev.ReleaseID, Stage: ev.Stage, Wave: ev.Wave, Target: ev.Target}
	var r release.Release
	if m.Releases != nil {
		var err error
		r, err = m.Releases.GetRelease(ctx, ev.ReleaseID)
		if err != nil {
			m.warn(ctx, "metrics: read release", err)
		}
	}
	f.Pipeline = r.Pipeline
	switch ev.Type {
	case release.EventStarted:
		m.put(ctx, f, ReleasesStarted, 1)
	case release.EventReleaseSucceeded:
		m.put(ctx, f, ReleasesSucceeded, 1)
		start := r.Trigger.Time
		if start.IsZero() {
			start = r.CreatedAt
		}
		if !start.IsZero() && !ev.Time.Before(start) {
			m.put(ctx, f, LeadTimeSeconds, ev.Time.Sub(start).Seconds())
		}
	case release.EventReleaseRolledBack:
		m.put(ctx, f, ReleasesRolledBack, 1)
	case release.EventReleaseFailed:
		if rolledBack(r, ev) {
			m.put(ctx, f, ReleasesRolledBack, 1)
		}
	case release.EventRolledBack:
		if started, ok := m.rollbackStart(ctx, ev); ok {
			m.put(ctx, f, RollbackDurationSeconds, ev.Time.Sub(started.Time).Seconds())
		}
	case release.EventBakePassed:
		m.put(ctx, f, BakePassed, 1)
	case release.EventAlarm:
		m.put(ctx, f, BakeFailed, 1)
	}
}

// rolledBack reports whether a ReleaseFailed event ended its release
// ROLLED_BACK: by the release's status (it is terminal when the event is
// written), or, when the release could not be read, by the event's message
// ("release ROLLED_BACK: …").
func rolledBack(r release.Release, ev release.Event) bool {
	if r.Status != "" {
		return r.Status == release.StatusRolledBack
	}
	return strings.HasPrefix(ev.Message, "release "+string(release.StatusRolledBack))
}

// rollbackStart finds the latest RollbackStarted of ev's target before ev.
func (m *Meter) rollbackStart(ctx context.Context, ev release.Event) (release.Event, bool) {
	if m.Releases == nil {
		return release.Event{}, false
	}
	evs, err := m.Releases.Events(ctx, ev.ReleaseID, 0, 0)
	if err != nil {
		m.warn(ctx, "metrics: read events", err)
		return release.Event{}, false
	}
	var found release.Event
	ok := false
	for _, e := range evs {
		if e.Type == release.EventRollbackStarted && e.Target == ev.Target && !e.Time.After(ev.Time) && (ev.Seq == 0 || e.Seq < ev.Seq) {
			found, ok = e, true
		}
	}
	return found, ok
}

func (m *Meter) put(ctx context.Context, f Fields, name string, v float64) {
	if err := m.Metrics.Put(f, name, v); err != nil {
		m.warn(ctx, "metrics: write", err)
	}
}

func (m *Meter) warn(ctx context.Context, msg string, err error) {
	if m.Logger != nil {
		m.Logger.WarnContext(ctx, msg, "error", err.Error())
	}
}
