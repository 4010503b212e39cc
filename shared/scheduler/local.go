package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"
)

// Pipelines lists pipelines and reads their specs.
type Pipelines interface {
	Specs
	// ListPipelines returns every pipeline name.
	ListPipelines(ctx context.Context) ([]string, error)
}

// Local fires pipelines' schedules in local mode. Pipelines and Fire are
// required; Now defaults to time.Now, Wait to sleeping on a real timer (pass
// one that advances a virtual clock to run hours in milliseconds) and Logger
// to discarding. Specs are re-read before every wait, so a changed spec
// takes effect at the next firing.
type Local struct {
	Pipelines Pipelines
	Fire      func(ctx context.Context, f Fire) (Result, error)
	Now       func() time.Time
	Wait      func(ctx context.Context, until time.Time) error
	Logger    *slog.Logger
}

// Next returns the earliest firing time strictly after now of any defined
// schedule and the firings due then; the zero time when nothing is
// scheduled. A pipeline whose schedules do not parse is logged and skipped.
func (l *Local) Next(ctx context.Context, now time.Time) (time.Time, []Fire, error) {
	names, err := l.Pipelines.ListPipelines(ctx)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("list pipelines: %w", err)
	}
	sort.Strings(names)
	var (
		next  time.Time
		fires []Fire
	)
	for _, name := range names {
		sv, err := l.Pipelines.GetSpec(ctx, name, 0)
		if err != nil {
			return time.Time{}, nil, fmt.Errorf("spec of %s: %w", name, err)
		}
		if sv.Parsed.Name == "" {
			sv.Parsed.Name = name
		}
		defs, err := Definitions(sv.Parsed)
		if err != nil {
			l.logger().WarnContext(ctx, "pipeline schedules skipped", "pipeline", name, "error", err)
			continue
		}
		for _, d := range defs {
			at := d.Cron.Next(now, d.Location)
			switch {
			case at.IsZero():
				continue
			case next.IsZero() || at.Before(next):
				next, fires = at, nil
			case !at.Equal(next):
				continue
			}
			fires = append(fires, Fire{Pipeline: name, Rule: d.Rule, ScheduledTime: at.UTC().Format(time.RFC3339)})
		}
	}
	return next, fires, nil
}

// Run fires schedules until ctx ends, returning ctx's error. A failed
// firing is logged and does not stop the others.
func (l *Local) Run(ctx context.Context) error {
	for {
		now := l.now()
		next, fires, err := l.Next(ctx, now)
		if err != nil {
			l.logger().ErrorContext(ctx, "local scheduler", "error", err)
			next = now.Add(time.Minute) // try again later
		} else if next.IsZero() {
			next = now.Add(time.Hour) // nothing scheduled; look again later
		}
		if err := l.wait(ctx, next); err != nil {
			return err
		}
		for _, f := range fires {
			res, err := l.Fire(ctx, f)
			if err != nil {
				l.logger().ErrorContext(ctx, "scheduled firing failed", "pipeline", f.Pipeline, "rule", f.Rule, "error", err)
				continue
			}
			l.logger().InfoContext(ctx, "scheduled firing", "pipeline", f.Pipeline, "rule", f.Rule, "outcome", res.Outcome, "releaseId", res.ReleaseID, "reason", res.Reason)
		}
	}
}

func (l *Local) wait(ctx context.Context, until time.Time) error {
	if l.Wait != nil {
		return l.Wait(ctx, until)
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (l *Local) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Local) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.New(slog.DiscardHandler)
}
