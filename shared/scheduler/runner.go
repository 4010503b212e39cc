package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Specs reads pipeline specs.
type Specs interface {
	// GetSpec returns a pipeline's spec (0: the latest) or release.ErrNotFound.
	GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
}

// Releases lists a pipeline's releases, newest first.
type Releases interface {
	ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error)
}

// Heads reads the commit a branch points at now.
type Heads interface {
	// Head returns the branch's commit or an error.
	Head(ctx context.Context, repository, branch string) (string, error)
}

// Launcher creates and starts a release idempotently on the trigger key
// (triggers.Launcher).
type Launcher interface {
	Launch(ctx context.Context, pipeline, version string, t release.Trigger) (release.Release, bool, error)
}

// Runner handles a schedule firing. Specs, Releases and Launcher are
// required; Heads is optional (without it the latest good commit is taken
// from the pipeline's own releases). Now defaults to time.Now and Logger to
// discarding.
type Runner struct {
	Specs    Specs
	Releases Releases
	Heads    Heads
	Launcher Launcher
	Now      func() time.Time
	Logger   *slog.Logger
}

// Result says what a firing did.
type Result struct {
	Pipeline  string `json:"pipeline"`
	Rule      int    `json:"rule"`
	Outcome   string `json:"outcome"` // released, duplicate, skipped
	Reason    string `json:"reason,omitempty"`
	ReleaseID string `json:"releaseId,omitempty"`
	Version   string `json:"version,omitempty"`
}

// historyDepth is how many recent releases are consulted.
const historyDepth = 50

// Fire releases the latest good commit of f.Pipeline, keyed on the
// pipeline, rule and scheduled minute, so a redelivered firing releases
// once. The latest good commit is the branch head (with Heads) or the
// newest released version (also when Heads does not know the repository),
// skipped when a release of it ended ROLLED_BACK
// or FAILED, or when it already SUCCEEDED or is running. A malformed firing
// or a rule that is no longer a schedule is release.ErrInvalid.
func (r *Runner) Fire(ctx context.Context, f Fire) (Result, error) {
	res := Result{Pipeline: f.Pipeline, Rule: f.Rule, Outcome: "skipped"}
	if f.Pipeline == "" {
		return res, release.Errorf(release.ErrInvalid, "schedule firing: pipeline is required")
	}
	at := r.now().UTC()
	if f.ScheduledTime != "" {
		t, err := time.Parse(time.RFC3339, f.ScheduledTime)
		if err != nil {
			return res, release.Errorf(release.ErrInvalid, "schedule firing: scheduledTime %q is not RFC 3339", f.ScheduledTime)
		}
		at = t.UTC()
	}
	at = at.Truncate(time.Minute)
	log := r.logger().With("pipeline", f.Pipeline, "rule", f.Rule, "scheduledTime", at)
	sv, err := r.Specs.GetSpec(ctx, f.Pipeline, 0)
	if err != nil {
		return res, fmt.Errorf("schedule of %s: %w", f.Pipeline, err)
	}
	p := sv.Parsed
	if f.Rule < 0 || f.Rule >= len(p.Triggers) || p.Triggers[f.Rule].Schedule == nil {
		return res, release.Errorf(release.ErrInvalid, "schedule firing: %s spec v%d has no triggers[%d].schedule (stale schedule? sync the schedules)", f.Pipeline, sv.Version, f.Rule)
	}
	rels, _, err := r.Releases.ListReleases(ctx, f.Pipeline, historyDepth, "")
	if err != nil {
		return res, fmt.Errorf("releases of %s: %w", f.Pipeline, err)
	}
	key := fmt.Sprintf("schedule:%s:%d:%s", f.Pipeline, f.Rule, at.Format("2006-01-02T15:04Z"))
	for _, rel := range rels {
		if rel.Trigger.Key == key {
			res.Outcome, res.ReleaseID, res.Version, res.Reason = "duplicate", rel.ID, rel.Version, "this firing already released "+rel.ID
			log.InfoContext(ctx, "scheduled release: duplicate firing", "releaseId", rel.ID)
			return res, nil
		}
	}
	version, reason, err := r.pick(ctx, p, rels)
	if err != nil {
		return res, err
	}
	if version == "" {
		res.Reason = reason
		log.InfoContext(ctx, "scheduled release skipped", "reason", reason)
		return res, nil
	}
	res.Version = version
	t := release.Trigger{
		Kind: release.TriggerSchedule, Key: key,
		Source: "scheduler", Repository: p.Source.Repository, Branch: p.Source.Branch, Commit: version, Time: at,
	}
	if t.Branch != "" {
		t.Ref = "refs/heads/" + t.Branch
	}
	rel, created, err := r.Launcher.Launch(ctx, f.Pipeline, version, t)
	if err != nil {
		return res, fmt.Errorf("scheduled release of %s: %w", f.Pipeline, err)
	}
	res.ReleaseID, res.Outcome = rel.ID, "released"
	if !created {
		res.Outcome, res.Reason = "duplicate", "this firing already released "+rel.ID
	}
	log.InfoContext(ctx, "scheduled release", "outcome", res.Outcome, "releaseId", rel.ID, "version", version)
	return res, nil
}

// pick chooses the version to release, or says why none.
func (r *Runner) pick(ctx context.Context, p release.Pipeline, rels []release.Release) (string, string, error) {
	bad := map[string]bool{}
	for _, rel := range rels {
		if rel.Status == release.StatusRolledBack || rel.Status == release.StatusFailed {
			bad[rel.Version] = true
		}
	}
	var candidate string
	if r.Heads != nil && p.Source.Repository != "" && p.Source.Branch != "" {
		head, err := r.Heads.Head(ctx, p.Source.Repository, p.Source.Branch)
		switch {
		case errors.Is(err, release.ErrNotFound):
			// Not a repository Heads knows: use the release history.
		case err != nil:
			return "", "", fmt.Errorf("head of %s %s: %w", p.Source.Repository, p.Source.Branch, err)
		case bad[head]:
			return "", fmt.Sprintf("the head of %s (%s) already failed a release", p.Source.Branch, head), nil
		default:
			candidate = head
		}
	}
	if candidate == "" {
		for _, rel := range rels {
			if rel.Version != "" && !bad[rel.Version] {
				candidate = rel.Version
				break
			}
		}
		if candidate == "" {
			return "", "no good version to release: the pipeline has no release that did not fail", nil
		}
	}
	for _, rel := range rels {
		if rel.Version != candidate {
			continue
		}
		switch {
		case rel.Status == release.StatusSucceeded:
			return "", fmt.Sprintf("%s is already released (%s)", candidate, rel.ID), nil
		case !rel.Status.Terminal():
			return "", fmt.Sprintf("%s is being released (%s, %s)", candidate, rel.ID, rel.Status), nil
		}
	}
	return candidate, "", nil
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}
