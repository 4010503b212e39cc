package chatops

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/triggers"
)

// Launcher creates a release for a pipeline and starts its state machine,
// through the same store and starter as the push trigger. Specs, Releases
// and Starter are required; Now defaults to time.Now and Logger to
// discarding.
type Launcher struct {
	Specs    triggers.Specs
	Releases triggers.Releases
	Starter  triggers.Starter
	Now      func() time.Time
	Logger   *slog.Logger
}

// Launch creates a PENDING release of version for pipeline's latest spec
// with trigger t (whose Key must be set and identify the request) and
// starts it. Launching the same pipeline and key again returns the release
// the first call created, starting it only if that call did not get to;
// created says whether this call created it. A trigger kind the spec's
// triggers do not list (triggers.Allow) is release.ErrUnauthorized and
// writes nothing. Errors: release.ErrInvalid for
// a missing pipeline, version or key; release.ErrNotFound for a pipeline
// without a spec; others from the store or starter, after which calling
// again finishes the job.
func (l *Launcher) Launch(ctx context.Context, pipeline, version string, t release.Trigger) (rel release.Release, created bool, err error) {
	switch {
	case pipeline == "":
		return release.Release{}, false, release.Errorf(release.ErrInvalid, "launch: pipeline is required")
	case version == "":
		return release.Release{}, false, release.Errorf(release.ErrInvalid, "launch %s: version is required", pipeline)
	case t.Key == "":
		return release.Release{}, false, release.Errorf(release.ErrInvalid, "launch %s: trigger key is required", pipeline)
	}
	sv, err := l.Specs.GetSpec(ctx, pipeline, 0)
	if err != nil {
		return release.Release{}, false, fmt.Errorf("launch %s: spec: %w", pipeline, err)
	}
	if sv.Parsed.Name == "" {
		sv.Parsed.Name = pipeline
	}
	// The spec's triggers say how the pipeline may start; a refused start
	// writes nothing.
	if err := triggers.Allow(sv.Parsed, t.Kind); err != nil {
		return release.Release{}, false, err
	}
	now := l.now().UTC()
	if t.Time.IsZero() {
		t.Time = now
	}
	rel, created, err = l.Releases.CreateRelease(ctx, release.Release{
		Pipeline: pipeline, SpecVersion: sv.Version, Version: version, Trigger: t,
		Status: release.StatusPending, CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return release.Release{}, false, fmt.Errorf("launch %s: create release: %w", pipeline, err)
	}
	log := l.logger().With("pipeline", pipeline, "releaseId", rel.ID, "trigger", t.Key)
	switch {
	case created:
		data, _ := json.Marshal(rel.Trigger)
		msg := fmt.Sprintf("%s release of %s requested", t.Kind, version)
		if t.Actor != "" {
			msg += " by " + t.Actor
		}
		if t.Source != "" {
			msg += " via " + t.Source
		}
		if _, err := l.Releases.AppendEvent(ctx, release.Event{ReleaseID: rel.ID, Time: now, Type: release.EventCreated, Data: data, Message: msg}); err != nil {
			return rel, created, fmt.Errorf("launch %s: record creation of %s: %w", pipeline, rel.ID, err)
		}
	case rel.Execution != "" || rel.Status != release.StatusPending:
		log.InfoContext(ctx, "launch: release exists", "status", rel.Status)
		return rel, false, nil
	default:
		if _, err := l.Releases.AppendEvent(ctx, release.Event{ReleaseID: rel.ID, Time: now, Type: release.EventNote,
			Message: "start resumed: the release existed without an execution"}); err != nil {
			return rel, false, fmt.Errorf("launch %s: record resume of %s: %w", pipeline, rel.ID, err)
		}
	}
	arn, err := l.Starter.Start(ctx, rel)
	if err != nil {
		return rel, created, fmt.Errorf("launch %s: start %s: %w", pipeline, rel.ID, err)
	}
	if err := l.Releases.SetExecution(ctx, rel.ID, arn); err != nil {
		return rel, created, fmt.Errorf("launch %s: record execution of %s: %w", pipeline, rel.ID, err)
	}
	rel.Execution = arn
	log.InfoContext(ctx, "launch: release started", "execution", arn, "created", created)
	return rel, created, nil
}

func (l *Launcher) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Launcher) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.New(slog.DiscardHandler)
}
