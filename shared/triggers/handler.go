package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/shipwave/shipwave/shared/release"
)

// Specs finds the pipelines a push may start and their specs.
type Specs interface {
	// PipelinesByRepository returns the names of the pipelines whose source
	// is repo; none is not an error.
	PipelinesByRepository(ctx context.Context, repo string) ([]string, error)
	// GetSpec returns a pipeline's spec version (0 means the latest), or an
	// error matching release.ErrNotFound.
	GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
}

// Releases records releases and their events.
type Releases interface {
	// CreateRelease stores r unless a release with the same Pipeline and
	// Trigger.Key exists; then it returns that one and created=false. It
	// assigns the ID when r has none.
	CreateRelease(ctx context.Context, r release.Release) (rel release.Release, created bool, err error)
	// SetExecution records the Step Functions execution running release id;
	// an unknown id is release.ErrNotFound.
	SetExecution(ctx context.Context, id, executionARN string) error
	// AppendEvent appends ev to its release's log and returns it with its Seq.
	AppendEvent(ctx context.Context, ev release.Event) (release.Event, error)
}

// Starter starts a release's state machine. Starting the same release again
// must not start a second execution: it returns the first one's ARN.
type Starter interface {
	Start(ctx context.Context, r release.Release) (executionARN string, err error)
}

// Differ lists the files changed between two commits of a repository; an
// empty before means the whole tree at after.
type Differ interface {
	ChangedFiles(ctx context.Context, repository, before, after string) ([]string, error)
}

// Handler reacts to push events. Specs, Releases and Starter are required;
// Differ is needed only when a CodeCommit push meets a path filter. Now
// defaults to time.Now and Logger to discarding.
type Handler struct {
	Specs    Specs
	Releases Releases
	Starter  Starter
	Differ   Differ
	// Account, when set, is the only AWS account whose events the handler
	// accepts: the function's own, so a "Git Push" put on a bus by another
	// account (or an event forwarded from one) releases nothing.
	Account string
	Now     func() time.Time
	Logger  *slog.Logger
}

// Outcome says what a push did to one pipeline.
type Outcome string

// Outcomes.
const (
	// OutcomeReleased: a new release was created and started.
	OutcomeReleased Outcome = "released"
	// OutcomeResumed: the release existed from an earlier delivery that
	// stopped before starting it; it was started now.
	OutcomeResumed Outcome = "resumed"
	// OutcomeDuplicate: the release existed and was already started.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeSkipped: the pipeline's filters did not match.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeFailed: creating or starting the release failed; Handle
	// returned an error so the event is retried.
	OutcomeFailed Outcome = "failed"
)

// Result reports what one event did.
type Result struct {
	EventID string `json:"eventId"`
	// Trigger is the normalized push, unless the event was ignored.
	Trigger *release.Trigger `json:"trigger,omitempty"`
	// Ignored says why the event asked for no release at all.
	Ignored   string           `json:"ignored,omitempty"`
	Pipelines []PipelineResult `json:"pipelines"`
}

// PipelineResult is what the event did to one pipeline.
type PipelineResult struct {
	Pipeline    string  `json:"pipeline"`
	SpecVersion int     `json:"specVersion,omitempty"`
	Outcome     Outcome `json:"outcome"`
	Reason      string  `json:"reason,omitempty"`
	ReleaseID   string  `json:"releaseId,omitempty"`
	Execution   string  `json:"execution,omitempty"`
}

// Handle normalizes ev, matches it against every pipeline of its repository
// and creates and starts a release for each match. It reads and decides
// everything before it writes anything, so a malformed event (a
// release.ErrInvalid error) or a failed lookup changes no stored state.
// Delivering the same event again creates no second release; a release an
// earlier delivery created but did not start is started. A failed write for
// one pipeline does not stop the others; Handle then returns an error so
// that EventBridge retries the event.
func (h *Handler) Handle(ctx context.Context, ev events.CloudWatchEvent) (Result, error) {
	log := h.logger().With("eventId", ev.ID, "source", ev.Source)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	push, err := Normalize(ev, h.now())
	if err == nil && h.Account != "" && ev.AccountID != h.Account {
		err = release.Errorf(release.ErrInvalid, "account: event from account %q; this stack accepts events of account %s only", ev.AccountID, h.Account)
	}
	if err != nil {
		log.ErrorContext(ctx, "rejected event", "detailType", ev.DetailType, "error", err)
		return Result{EventID: ev.ID}, err
	}
	res := Result{EventID: ev.ID, Pipelines: []PipelineResult{}}
	if push.Ignored != "" {
		res.Ignored = push.Ignored
		log.InfoContext(ctx, "ignored event", "repository", push.Trigger.Repository, "reason", push.Ignored)
		return res, nil
	}
	log = log.With("repository", push.Trigger.Repository, "ref", push.Trigger.Ref, "commit", push.Trigger.Commit)

	matches, err := h.decide(ctx, &push, &res)
	res.Trigger = &push.Trigger
	if err != nil {
		log.ErrorContext(ctx, "push not processed", "error", err)
		return res, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	var errs []error
	for _, m := range matches {
		pr, err := h.release(ctx, push.Trigger, m)
		res.Pipelines[m.index] = pr
		if err != nil {
			log.ErrorContext(ctx, "release failed", "pipeline", m.spec.Pipeline, "error", err)
			errs = append(errs, err)
			continue
		}
		log.InfoContext(ctx, "push handled", "pipeline", pr.Pipeline, "outcome", pr.Outcome, "releaseId", pr.ReleaseID, "execution", pr.Execution)
	}
	for _, pr := range res.Pipelines {
		if pr.Outcome == OutcomeSkipped {
			log.InfoContext(ctx, "pipeline skipped", "pipeline", pr.Pipeline, "reason", pr.Reason)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	return res, nil
}

// match is a pipeline the push releases.
type match struct {
	index int // into Result.Pipelines
	spec  release.SpecVersion
}

// decide reads every pipeline of the pushed repository and records in res
// which ones the push skips; it returns the ones it releases. It writes
// nothing.
func (h *Handler) decide(ctx context.Context, push *Push, res *Result) ([]match, error) {
	t := push.Trigger
	names, err := h.Specs.PipelinesByRepository(ctx, t.Repository)
	if err != nil {
		return nil, fmt.Errorf("pipelines of repository %s: %w", t.Repository, err)
	}
	type pending struct {
		index int
		spec  release.SpecVersion
		rules []pushRule // rules whose ref filter matched and that filter on files
	}
	var (
		matches   []match
		needFiles []pending
	)
	for _, name := range names {
		i := len(res.Pipelines)
		res.Pipelines = append(res.Pipelines, PipelineResult{Pipeline: name, Outcome: OutcomeSkipped})
		pr := &res.Pipelines[i]
		sv, err := h.Specs.GetSpec(ctx, name, 0)
		if errors.Is(err, release.ErrNotFound) {
			pr.Reason = "pipeline has no spec"
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("spec of pipeline %s: %w", name, err)
		}
		if sv.Pipeline == "" {
			sv.Pipeline = name
		}
		pr.SpecVersion = sv.Version
		if t.Kind == release.TriggerImage {
			if ok, why := imageMatch(sv.Parsed, t); ok {
				matches = append(matches, match{index: i, spec: sv})
			} else {
				pr.Reason = why
			}
			continue
		}
		if sv.Parsed.Source.Repository != t.Repository {
			pr.Reason = fmt.Sprintf("spec v%d releases from repository %q", sv.Version, sv.Parsed.Source.Repository)
			continue
		}
		if !push.FirstDelivered.IsZero() {
			// A push delivered again (a new delivery id for a push seen
			// before) releases only pipelines that existed at its first
			// delivery: an old signed push replayed must not reach a
			// pipeline added since.
			first, err := h.Specs.GetSpec(ctx, name, 1)
			if err != nil && !errors.Is(err, release.ErrNotFound) {
				return nil, fmt.Errorf("first spec of pipeline %s: %w", name, err)
			}
			if err == nil && first.CreatedAt.After(push.FirstDelivered) {
				pr.Reason = fmt.Sprintf("this push was first delivered at %s, before pipeline %s was created (%s): a push delivered again does not release pipelines created since",
					push.FirstDelivered.UTC().Format(time.RFC3339), name, first.CreatedAt.UTC().Format(time.RFC3339))
				continue
			}
		}
		if err := Allow(sv.Parsed, release.TriggerPush); err != nil {
			pr.Reason = fmt.Sprintf("spec v%d: %v", sv.Version, err)
			continue
		}
		rules, err := pushRules(sv.Parsed)
		if err != nil {
			pr.Reason = fmt.Sprintf("spec v%d has a bad filter: %v", sv.Version, err)
			continue
		}
		var reasons []string
		var fileRules []pushRule
		matched := false
		for _, r := range rules {
			ok, why := r.matchRef(t)
			switch {
			case !ok:
				reasons = append(reasons, why)
			case !r.needsFiles(t):
				matched = true
			default:
				fileRules = append(fileRules, r)
			}
		}
		switch {
		case matched:
			matches = append(matches, match{index: i, spec: sv})
		case len(fileRules) > 0:
			needFiles = append(needFiles, pending{index: i, spec: sv, rules: fileRules})
		default:
			pr.Reason = joinReasons(reasons)
		}
	}
	if len(needFiles) > 0 {
		files, err := h.changedFiles(ctx, push)
		if err != nil {
			return nil, err
		}
		for _, p := range needFiles {
			var reasons []string
			// Files the push did not list may match: a partial list can
			// only rule a pipeline in.
			matched := push.FilesIncomplete
			for _, r := range p.rules {
				ok, why := r.matchFiles(files)
				if ok {
					matched = true
					break
				}
				reasons = append(reasons, why)
			}
			if matched {
				matches = append(matches, match{index: p.index, spec: p.spec})
			} else {
				res.Pipelines[p.index].Reason = joinReasons(reasons)
			}
		}
	}
	return matches, nil
}

// changedFiles returns the push's changed files, asking the Differ when the
// event did not list them, and records them on the trigger.
//
// A webhook push whose receiver marked its file list incomplete has no
// Differ here (the CodeCommit one cannot compare GitHub or GitLab commits):
// its listed files are returned, and the caller lets path filters pass.
func (h *Handler) changedFiles(ctx context.Context, push *Push) ([]string, error) {
	if push.FilesKnown || push.FilesIncomplete {
		if push.FilesIncomplete {
			h.logger().WarnContext(ctx, "push lists only some of its changed files; path filters cannot rule it out",
				"repository", push.Trigger.Repository, "ref", push.Trigger.Ref, "listedFiles", len(push.Trigger.ChangedFiles))
		}
		return push.Trigger.ChangedFiles, nil
	}
	if h.Differ == nil {
		return nil, fmt.Errorf("push to %s %s: path filters need the changed files, and the handler has no Differ", push.Trigger.Repository, push.Trigger.Ref)
	}
	files, err := h.Differ.ChangedFiles(ctx, push.Trigger.Repository, push.Before, push.Trigger.Commit)
	if err != nil {
		return nil, fmt.Errorf("changed files of %s %s..%s: %w", push.Trigger.Repository, push.Before, push.Trigger.Commit, err)
	}
	push.FilesKnown = true
	if len(files) <= MaxStoredFiles {
		push.Trigger.ChangedFiles = files
	}
	return files, nil
}

// release creates (or finds) the release for one matched pipeline and makes
// sure its execution is started, through the Launcher.
func (h *Handler) release(ctx context.Context, t release.Trigger, m match) (PipelineResult, error) {
	pr := PipelineResult{Pipeline: m.spec.Pipeline, SpecVersion: m.spec.Version, Outcome: OutcomeFailed}
	if len(t.ChangedFiles) > MaxStoredFiles {
		t.ChangedFiles = nil
	}
	version := t.Commit
	if t.Kind == release.TriggerImage {
		version = t.ImageTag
	}
	l := Launcher{Releases: h.Releases, Starter: h.Starter, Now: h.Now, Logger: h.Logger}
	out, err := l.Start(ctx, Request{Pipeline: m.spec.Pipeline, SpecVersion: m.spec.Version, Version: version, Trigger: t, Message: describe(t)})
	if out.Release.ID != "" {
		pr.ReleaseID, pr.SpecVersion = out.Release.ID, out.Release.SpecVersion
	}
	if err != nil {
		pr.Reason = err.Error()
		return pr, err
	}
	pr.Outcome, pr.Reason, pr.Execution = out.Outcome, out.Reason, out.Release.Execution
	return pr, nil
}

func describe(t release.Trigger) string {
	if t.Kind == release.TriggerImage {
		return fmt.Sprintf("%s image push of %s:%s (%s)", t.Source, t.Repository, t.ImageTag, short(strings.TrimPrefix(t.ImageDigest, "sha256:")))
	}
	what := "branch " + t.Branch
	if t.Tag != "" {
		what = "tag " + t.Tag
	}
	msg := fmt.Sprintf("%s push to %s of %s at %s", t.Source, what, t.Repository, short(t.Commit))
	if t.Actor != "" {
		msg += " by " + t.Actor
	}
	return msg
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

func joinReasons(reasons []string) string {
	return strings.Join(reasons, "; ")
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
