package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Launcher creates releases idempotently and starts their state machines.
// It is the one place where a trigger becomes a running release: the push
// and image trigger (Handler), chat, voice, schedules, CodePipeline and the
// local push all go through Start. Releases and Starter are required; Specs
// is needed by Launch only. Now defaults to time.Now and Logger to
// discarding.
type Launcher struct {
	Specs    Specs
	Releases Releases
	Starter  Starter
	Now      func() time.Time
	Logger   *slog.Logger
}

// Request is one release to create and start.
type Request struct {
	Pipeline    string
	SpecVersion int
	Version     string
	// Trigger identifies the request: its Key is the idempotency key (the
	// same Pipeline and Key never create a second release). A zero Time is
	// set to now.
	Trigger release.Trigger
	// Message is the EventCreated message, written only when this call
	// creates the release.
	Message string
}

// Launched is what Start did.
type Launched struct {
	// Release is the release created or found, with its execution when one
	// is known.
	Release release.Release
	// Outcome is OutcomeReleased (created and started), OutcomeResumed
	// (found without an execution and pending: started now) or
	// OutcomeDuplicate (found already started or past pending: not started
	// again).
	Outcome Outcome
	// Reason explains a Resumed or Duplicate outcome.
	Reason string
}

// Created says whether this call created the release.
func (l Launched) Created() bool { return l.Outcome == OutcomeReleased }

// Start creates the PENDING release req asks for unless one with the same
// pipeline and trigger key exists, and makes sure it is started exactly
// once (invariant: the same trigger delivered N times creates one release
// and one execution):
//   - created now: EventCreated is recorded, the execution started and
//     recorded on the release;
//   - found with an execution, or found in a status past PENDING: nothing
//     is written and nothing started (OutcomeDuplicate);
//   - found PENDING without an execution (an earlier call stopped between
//     creating and starting it): a note is recorded and it is started
//     (OutcomeResumed).
//
// Errors: release.ErrInvalid when the pipeline, version or trigger key is
// missing (nothing is written); others come from the store or the starter,
// after which calling again finishes the job.
func (l *Launcher) Start(ctx context.Context, req Request) (Launched, error) {
	t := req.Trigger
	switch {
	case req.Pipeline == "":
		return Launched{}, release.Errorf(release.ErrInvalid, "launch: pipeline is required")
	case req.Version == "":
		return Launched{}, release.Errorf(release.ErrInvalid, "launch %s: version is required", req.Pipeline)
	case t.Key == "":
		return Launched{}, release.Errorf(release.ErrInvalid, "launch %s: trigger key is required", req.Pipeline)
	}
	now := l.now().UTC()
	if t.Time.IsZero() {
		t.Time = now
	}
	rel, created, err := l.Releases.CreateRelease(ctx, release.Release{
		Pipeline: req.Pipeline, SpecVersion: req.SpecVersion, Version: req.Version, Trigger: t,
		Status: release.StatusPending, CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return Launched{}, fmt.Errorf("launch %s for %s: create release: %w", req.Pipeline, t.Key, err)
	}
	out := Launched{Release: rel, Outcome: OutcomeReleased}
	log := l.logger().With("pipeline", req.Pipeline, "releaseId", rel.ID, "trigger", t.Key)
	switch {
	case created:
		data, err := json.Marshal(rel.Trigger)
		if err != nil {
			return out, fmt.Errorf("launch %s: release %s: encode trigger: %w", req.Pipeline, rel.ID, err)
		}
		if _, err := l.Releases.AppendEvent(ctx, release.Event{
			ReleaseID: rel.ID, Time: now, Type: release.EventCreated, Data: data, Message: req.Message,
		}); err != nil {
			return out, fmt.Errorf("launch %s: release %s: record creation: %w", req.Pipeline, rel.ID, err)
		}
	case rel.Execution != "":
		out.Outcome, out.Reason = OutcomeDuplicate, "release already started by an earlier delivery"
		log.InfoContext(ctx, "launch: release exists", "execution", rel.Execution)
		return out, nil
	case rel.Status != release.StatusPending:
		out.Outcome, out.Reason = OutcomeDuplicate, fmt.Sprintf("release already exists with status %s", rel.Status)
		log.InfoContext(ctx, "launch: release exists", "status", rel.Status)
		return out, nil
	default:
		out.Outcome, out.Reason = OutcomeResumed, "the release existed without an execution"
		if _, err := l.Releases.AppendEvent(ctx, release.Event{
			ReleaseID: rel.ID, Time: now, Type: release.EventNote,
			Message: "start resumed: the release existed without an execution (an earlier or concurrent delivery of this trigger created it)",
		}); err != nil {
			return out, fmt.Errorf("launch %s: release %s: record resume: %w", req.Pipeline, rel.ID, err)
		}
	}
	arn, err := l.Starter.Start(ctx, rel)
	if err != nil {
		return out, fmt.Errorf("launch %s: release %s: start execution: %w", req.Pipeline, rel.ID, err)
	}
	if err := l.Releases.SetExecution(ctx, rel.ID, arn); err != nil {
		return out, fmt.Errorf("launch %s: release %s: record execution %s: %w", req.Pipeline, rel.ID, arn, err)
	}
	out.Release.Execution = arn
	log.InfoContext(ctx, "launch: release started", "execution", arn, "outcome", out.Outcome)
	return out, nil
}

// Launch starts a release of version for pipeline's latest spec with
// trigger t (whose Key must be set and identify the request), as Start
// does. A trigger kind the spec's triggers do not list (Allow) is
// release.ErrUnauthorized and writes nothing; a pipeline without a spec is
// release.ErrNotFound. created says whether this call created the release.
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
	if err := Allow(sv.Parsed, t.Kind); err != nil {
		return release.Release{}, false, err
	}
	msg := fmt.Sprintf("%s release of %s requested", t.Kind, version)
	if t.Actor != "" {
		msg += " by " + t.Actor
	}
	if t.Source != "" {
		msg += " via " + t.Source
	}
	out, err := l.Start(ctx, Request{Pipeline: pipeline, SpecVersion: sv.Version, Version: version, Trigger: t, Message: msg})
	return out.Release, out.Created(), err
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
