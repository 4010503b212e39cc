package chatops

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// Store is what the operations read and write.
type Store interface {
	// GetSpec returns a pipeline's spec (version 0: the latest) or
	// release.ErrNotFound.
	GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
	// GetRelease returns a release or release.ErrNotFound.
	GetRelease(ctx context.Context, id string) (release.Release, error)
	// ListReleases returns a pipeline's releases, newest first.
	ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error)
	// Events returns a release's log after afterSeq.
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
	// TokensByRelease returns the task tokens a release waits on.
	TokensByRelease(ctx context.Context, releaseID string) ([]release.TaskToken, error)
	// DeleteTaskToken claims a token; release.ErrNotFound if someone did first.
	DeleteTaskToken(ctx context.Context, token string) error
	// AppendEvent appends to a release's log.
	AppendEvent(ctx context.Context, ev release.Event) (release.Event, error)
}

// Decider approves or rejects an approval gate (control.Service.Decide).
type Decider interface {
	// RequestRollback rolls a running release back through its own
	// failure path (control.Service.RequestRollback); ErrConflict once it
	// has ended.
	RequestRollback(ctx context.Context, r control.RollbackRequest) (release.Release, error)
	// Undo rolls a running release back, or restores what an ended one
	// settled (control.Service.Undo).
	Undo(ctx context.Context, r control.UndoRequest) (release.Release, error)
	// Restore is break-glass: targets back on a known-good version
	// (control.Service.Restore).
	Restore(ctx context.Context, r control.RestoreRequest) (release.Release, error)
	// Decide returns release.ErrNotFound when nothing waits and
	// release.ErrUnauthorized (recorded) for a non-approver.
	Decide(ctx context.Context, d control.Decision) error
}

// Callbacks fails a waiting task (the Step Functions callback API).
type Callbacks interface {
	SendTaskFailure(ctx context.Context, token, errName, cause string) error
}

// Launch creates and starts a release (Launcher.Launch).
type Launch interface {
	Launch(ctx context.Context, pipeline, version string, t release.Trigger) (release.Release, bool, error)
}

// Actor is the person asking. Names are every identity they go by, all of
// them ids that cannot be renamed (a Slack user id and its team-qualified
// forms TEAM:USER and TEAM/USER, an Alexa person or user id, an IAM ARN);
// an allow-list entry matching any of them lets them act. Source says where
// they asked ("slack", "alexa").
type Actor struct {
	Names  []string
	Source string
	// AsOf is when the sender made the request (its signed timestamp). A
	// command that names no release acts only on a release created before
	// then, so a replayed or delayed request never reaches a release its
	// sender could not have seen. Zero means no such bound.
	AsOf time.Time
}

// String is the actor's first name and source, for logs and messages.
func (a Actor) String() string {
	if len(a.Names) == 0 {
		return "unknown@" + a.Source
	}
	return a.Names[0] + "@" + a.Source
}

func (a Actor) in(list []string) (string, bool) {
	for _, n := range a.Names {
		if n != "" && slices.Contains(list, n) {
			return n, true
		}
	}
	return "", false
}

// Ops carries out the requests. Store, Launcher, Decider and Callbacks are
// required; Now defaults to time.Now and Logger to discarding (refusals
// are logged at Warn as an audit trail).
type Ops struct {
	Store     Store
	Launcher  Launch
	Decider   Decider
	Callbacks Callbacks
	// Refusals, when set, rate-limits the refusal notes written to a
	// release's log: at most one per release per RefusalEvery (default
	// DefaultRefusalEvery). Without it refusals are only logged.
	Refusals     Claimer
	RefusalEvery time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Claimer claims a key once per TTL (the store's idempotency keys).
type Claimer interface {
	ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (existing string, claimed bool, err error)
}

// DefaultRefusalEvery is how often a release's log may record a refusal.
const DefaultRefusalEvery = 10 * time.Minute

// maxNote bounds the text of a refusal note.
const maxNote = 240

// Role is what an allow-list grants.
type Role string

// Roles.
const (
	RoleDeployer Role = "deployer" // deploy and roll back
	RoleApprover Role = "approver" // approve and reject
)

// Authorize checks actor against the pipeline's chat allow-lists: Deployers
// for RoleDeployer, Approvers (or, when empty, the pipeline's approvers)
// for RoleApprover. A pipeline without a chat section lets nobody act from
// chat. It returns the matching name or a release.ErrUnauthorized error
// that says who may; release.ErrNotFound for an unknown pipeline.
func (o *Ops) Authorize(ctx context.Context, actor Actor, pipeline string, role Role) (string, error) {
	sv, err := o.Store.GetSpec(ctx, pipeline, 0)
	if err != nil {
		return "", fmt.Errorf("pipeline %s: %w", pipeline, err)
	}
	var list []string
	if c := sv.Parsed.Chat; c != nil {
		if role == RoleDeployer {
			list = c.Deployers
		} else {
			list = c.Approvers
			if len(list) == 0 {
				list = sv.Parsed.Approvers
			}
		}
	}
	if name, ok := actor.in(list); ok {
		return name, nil
	}
	o.logger().WarnContext(ctx, "chat request refused", "pipeline", pipeline, "actor", actor.String(), "role", role)
	if len(list) == 0 {
		return "", release.Errorf(release.ErrUnauthorized, "%s may not act as %s on %s: the pipeline allows no one from chat (add chat.%ss to its spec)", actor, role, pipeline, role)
	}
	return "", release.Errorf(release.ErrUnauthorized, "%s may not act as %s on %s; ask one of: %s", actor, role, pipeline, strings.Join(list, ", "))
}

// Deploy releases version of pipeline for actor. requestID identifies the
// request (a Slack trigger id, an Alexa request id) so a retried request
// releases once. Errors: release.ErrUnauthorized, release.ErrNotFound,
// release.ErrInvalid, and the Launcher's.
func (o *Ops) Deploy(ctx context.Context, actor Actor, pipeline, version, requestID string) (release.Release, error) {
	name, err := o.Authorize(ctx, actor, pipeline, RoleDeployer)
	if err != nil {
		return release.Release{}, err
	}
	if version == "" {
		return release.Release{}, release.Errorf(release.ErrInvalid, "deploy %s: say which version", pipeline)
	}
	if requestID == "" {
		return release.Release{}, release.Errorf(release.ErrInvalid, "deploy %s: request id is required", pipeline)
	}
	kind := release.TriggerChat
	switch actor.Source {
	case "alexa":
		kind = release.TriggerVoice
	case "api", "cli":
		kind = release.TriggerManual
	}
	t := release.Trigger{Kind: kind, Key: fmt.Sprintf("%s:%s:%s", kind, actor.Source, requestID), Source: actor.Source, Actor: name, Time: o.now().UTC()}
	rel, _, err := o.Launcher.Launch(ctx, pipeline, version, t)
	return rel, err
}

// Summary is a pipeline's state for a status answer.
type Summary struct {
	Pipeline string
	// Latest is the newest release, if any.
	Latest *release.Release
	// LastEvent is the newest entry of Latest's log.
	LastEvent *release.Event
	// Waiting says what Latest waits for: "approval of prod", "" if nothing.
	Waiting string
}

// Status summarizes a pipeline's newest release. Errors:
// release.ErrNotFound for an unknown pipeline.
func (o *Ops) Status(ctx context.Context, pipeline string) (Summary, error) {
	if _, err := o.Store.GetSpec(ctx, pipeline, 0); err != nil {
		return Summary{}, fmt.Errorf("pipeline %s: %w", pipeline, err)
	}
	s := Summary{Pipeline: pipeline}
	rels, _, err := o.Store.ListReleases(ctx, pipeline, 1, "")
	if err != nil {
		return s, fmt.Errorf("releases of %s: %w", pipeline, err)
	}
	if len(rels) == 0 {
		return s, nil
	}
	s.Latest = &rels[0]
	evs, err := o.Store.Events(ctx, rels[0].ID, 0, 0)
	if err != nil {
		return s, fmt.Errorf("events of %s: %w", rels[0].ID, err)
	}
	if len(evs) > 0 {
		s.LastEvent = &evs[len(evs)-1]
	}
	if !rels[0].Status.Terminal() {
		toks, err := o.Store.TokensByRelease(ctx, rels[0].ID)
		if err != nil {
			return s, fmt.Errorf("tokens of %s: %w", rels[0].ID, err)
		}
		for _, t := range toks {
			switch t.Kind {
			case release.TokenApproval:
				s.Waiting = "approval of " + t.Stage
			case release.TokenWindow:
				s.Waiting = "a deploy window for " + t.Stage
			}
		}
	}
	return s, nil
}

// History returns up to n of a pipeline's newest releases.
func (o *Ops) History(ctx context.Context, pipeline string, n int) ([]release.Release, error) {
	if _, err := o.Store.GetSpec(ctx, pipeline, 0); err != nil {
		return nil, fmt.Errorf("pipeline %s: %w", pipeline, err)
	}
	rels, _, err := o.Store.ListReleases(ctx, pipeline, n, "")
	if err != nil {
		return nil, fmt.Errorf("releases of %s: %w", pipeline, err)
	}
	return rels, nil
}

// Decide approves (approve true) or rejects the approval gate a release of
// pipeline waits at; releaseID empty means the one release waiting for
// approval, created before actor.AsOf (several waiting, or one newer than
// the request, is a release.ErrConflict error asking for the id). The actor
// is authorized first, so a refusal says nothing about what waits; they
// must be on the chat approver list and on the gate's approvers. Refusals
// are logged and, when the request named a release, noted in its log (rate
// limited). It returns the release decided on.
func (o *Ops) Decide(ctx context.Context, actor Actor, pipeline, releaseID string, approve bool, comment string) (release.Release, error) {
	verb := "reject"
	if approve {
		verb = "approve"
	}
	name, err := o.Authorize(ctx, actor, pipeline, RoleApprover)
	if err != nil {
		o.refused(ctx, pipeline, releaseID, verb, actor, "not on the chat allow-list", err)
		return release.Release{}, err
	}
	rel, toks, err := o.waiting(ctx, actor, pipeline, releaseID, release.TokenApproval)
	if err != nil {
		return release.Release{}, fmt.Errorf("%s %s: %w", verb, pipeline, err)
	}
	// The gate's own approver list, checked here too so that a refusal is
	// noted rate-limited (as the allow-list's are) rather than on every
	// attempt; use the identity the gate lists, so Decide's check sees it.
	onGate, gates := false, 0
	for _, t := range toks {
		if t.Kind != release.TokenApproval {
			continue
		}
		gates++
		if len(t.Approvers) == 0 {
			onGate = true
		} else if n, ok := actor.in(t.Approvers); ok {
			name, onGate = n, true
		}
	}
	if gates > 0 && !onGate {
		err := release.Errorf(release.ErrUnauthorized, "%s may not %s release %s of %s: not an approver of its gate", actor, verb, rel.ID, pipeline)
		o.refused(ctx, pipeline, rel.ID, verb, actor, "not an approver of the gate", err)
		return rel, err
	}
	if comment != "" {
		comment += " "
	}
	comment += "(via " + actor.Source + ")"
	if err := o.Decider.Decide(ctx, control.Decision{ReleaseID: rel.ID, Actor: name, Approve: approve, Comment: comment}); err != nil {
		return rel, fmt.Errorf("%s %s: %w", verb, rel.ID, err)
	}
	return rel, nil
}

// Rollback asks a release of pipeline to roll back now, through the
// release's own failure path (control.Service.RequestRollback: every task
// it waits on fails with RollbackRequested, and what it touched is
// restored as its onFailure says). releaseID empty means the one active
// release, created before actor.AsOf (as for Decide). The actor is
// authorized first. Errors: release.ErrUnauthorized, release.ErrNotFound
// when nothing is active, release.ErrConflict when it has ended.
func (o *Ops) Rollback(ctx context.Context, actor Actor, pipeline, releaseID, reason string) (release.Release, error) {
	name, err := o.Authorize(ctx, actor, pipeline, RoleDeployer)
	if err != nil {
		o.refused(ctx, pipeline, releaseID, "rollback", actor, "not on the chat allow-list", err)
		return release.Release{}, err
	}
	rel, _, err := o.waiting(ctx, actor, pipeline, releaseID, "")
	if err != nil {
		return release.Release{}, fmt.Errorf("roll back %s: %w", pipeline, err)
	}
	// The product's one manual rollback: the release's own failure path,
	// honouring onFailure, recorded with who asked and why.
	return o.Decider.RequestRollback(ctx, control.RollbackRequest{ReleaseID: rel.ID, Actor: name + " via " + actor.Source, Reason: reason})
}

// Undo takes a release back (control.Service.Undo): a running one is
// rolled back, an ended one has what it settled restored to the versions it
// replaced. The release must be named (the sender saw it). The actor is
// authorized first. Errors: release.ErrUnauthorized, release.ErrInvalid
// without a release id, release.ErrNotFound for a release of another
// pipeline.
func (o *Ops) Undo(ctx context.Context, actor Actor, pipeline, releaseID, reason string) (release.Release, error) {
	name, err := o.Authorize(ctx, actor, pipeline, RoleDeployer)
	if err != nil {
		o.refused(ctx, pipeline, releaseID, "undo", actor, "not on the chat allow-list", err)
		return release.Release{}, err
	}
	if releaseID == "" {
		return release.Release{}, release.Errorf(release.ErrInvalid, "undo needs the release id: `undo %s <release-id>`", pipeline)
	}
	rel, err := o.Store.GetRelease(ctx, releaseID)
	if err != nil {
		return release.Release{}, err
	}
	if rel.Pipeline != pipeline {
		return release.Release{}, release.Errorf(release.ErrNotFound, "release %s is not a release of %s", releaseID, pipeline)
	}
	return o.Decider.Undo(ctx, control.UndoRequest{ReleaseID: rel.ID, Actor: name + " via " + actor.Source, Reason: reason})
}

// Restore is break-glass (control.Service.Restore): every target of the
// pipeline back on its known-good version, or on version if it was ever
// known-good there, now, even while alarms fire; requestID makes a
// redelivered request restore once. The actor is authorized first.
func (o *Ops) Restore(ctx context.Context, actor Actor, pipeline, version, reason, requestID string) (release.Release, error) {
	name, err := o.Authorize(ctx, actor, pipeline, RoleDeployer)
	if err != nil {
		o.refused(ctx, pipeline, "", "restore", actor, "not on the chat allow-list", err)
		return release.Release{}, err
	}
	key := ""
	if requestID != "" {
		key = "chat:" + requestID
	}
	return o.Decider.Restore(ctx, control.RestoreRequest{Pipeline: pipeline, Version: version, Actor: name + " via " + actor.Source, Reason: reason, Key: key})
}

// waiting finds the release to act on and its tokens: releaseID, or the
// only active release of pipeline (with a token of kind, when given), and
// only if no release of the pipeline was created after the request
// (actor.AsOf): the sender cannot have meant one they never saw.
func (o *Ops) waiting(ctx context.Context, actor Actor, pipeline, releaseID string, kind release.TokenKind) (release.Release, []release.TaskToken, error) {
	if releaseID != "" {
		rel, err := o.Store.GetRelease(ctx, releaseID)
		if err != nil {
			return release.Release{}, nil, err
		}
		if rel.Pipeline != pipeline {
			return release.Release{}, nil, release.Errorf(release.ErrNotFound, "release %s is not a release of %s", releaseID, pipeline)
		}
		toks, err := o.Store.TokensByRelease(ctx, rel.ID)
		return rel, toks, err
	}
	if _, err := o.Store.GetSpec(ctx, pipeline, 0); err != nil {
		return release.Release{}, nil, err
	}
	rels, _, err := o.Store.ListReleases(ctx, pipeline, 20, "")
	if err != nil {
		return release.Release{}, nil, err
	}
	// Slack's timestamps are whole seconds: allow the second they name.
	if !actor.AsOf.IsZero() && len(rels) > 0 && rels[0].CreatedAt.After(actor.AsOf.Add(time.Second)) {
		return release.Release{}, nil, release.Errorf(release.ErrConflict, "release %s of %s started after this request was made; name the release you mean", rels[0].ID, pipeline)
	}
	type candidate struct {
		rel  release.Release
		toks []release.TaskToken
	}
	var found []candidate
	for _, rel := range rels {
		if rel.Status.Terminal() {
			continue
		}
		toks, err := o.Store.TokensByRelease(ctx, rel.ID)
		if err != nil {
			return release.Release{}, nil, err
		}
		if kind == "" || slices.ContainsFunc(toks, func(t release.TaskToken) bool { return t.Kind == kind }) {
			found = append(found, candidate{rel, toks})
		}
	}
	what := "active"
	if kind != "" {
		what = "waiting for " + string(kind)
	}
	switch {
	case len(found) == 0:
		return release.Release{}, nil, release.Errorf(release.ErrNotFound, "no release of %s is %s", pipeline, what)
	case len(found) > 1:
		ids := make([]string, len(found))
		for i, c := range found {
			ids[i] = c.rel.ID
		}
		return release.Release{}, nil, release.Errorf(release.ErrConflict, "%d releases of %s are %s (%s); name the one you mean", len(found), pipeline, what, strings.Join(ids, ", "))
	}
	return found[0].rel, found[0].toks, nil
}

// refused records a refusal: always in the log (the audit trail), and in
// the named release's event log at most once per RefusalEvery, with a
// bounded text, so refusals cannot grow a release's log.
func (o *Ops) refused(ctx context.Context, pipeline, releaseID, verb string, actor Actor, why string, err error) {
	o.logger().WarnContext(ctx, "chat request refused", "pipeline", pipeline, "releaseId", releaseID, "verb", verb, "actor", actor.String(), "error", err)
	if releaseID == "" || o.Refusals == nil {
		return
	}
	rel, gerr := o.Store.GetRelease(ctx, releaseID)
	if gerr != nil || rel.Pipeline != pipeline || rel.Status.Terminal() {
		return
	}
	every := o.RefusalEvery
	if every <= 0 {
		every = DefaultRefusalEvery
	}
	slot := o.now().UTC().Truncate(every).Unix()
	if _, claimed, cerr := o.Refusals.ClaimIdempotencyKey(ctx, fmt.Sprintf("refusal:%s:%d", releaseID, slot), actor.Source, every); cerr != nil || !claimed {
		return
	}
	o.note(ctx, releaseID, clipText(fmt.Sprintf("refused %s from %s: %s; further refusals in the next %s are only logged", verb, clipText(actor.String(), 80), why, every), maxNote))
}

// clipText bounds s to n bytes (valid UTF-8).
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

func (o *Ops) note(ctx context.Context, releaseID, msg string) {
	if _, err := o.Store.AppendEvent(ctx, release.Event{ReleaseID: releaseID, Time: o.now().UTC(), Type: release.EventNote, Message: msg}); err != nil {
		o.logger().ErrorContext(ctx, "record refusal", "releaseId", releaseID, "error", err)
	}
}

func (o *Ops) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Ops) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}
