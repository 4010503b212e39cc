package triggers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/release"
)

// EventBridge sources and detail-types the push trigger accepts.
const (
	SourceCodeCommit     = "aws.codecommit"
	DetailTypeCodeCommit = "CodeCommit Repository State Change"
	SourceWebhook        = "shipwave.webhook"
	DetailTypeGitPush    = "Git Push"
	SourceECR            = "aws.ecr"
	DetailTypeECR        = "ECR Image Action"
)

// Git providers a GitPush may come from.
const (
	ProviderGitHub = "github"
	ProviderGitLab = "gitlab"
)

// MaxStoredFiles is the most changed files a release's trigger records; a
// larger push still filters on every file but stores none, so the release
// item stays small.
const MaxStoredFiles = 1000

// MaxNameLength is the longest repository name or ref a push may carry, in
// bytes.
const MaxNameLength = 256

// maxKeyLength is the longest trigger key kept readable; longer keys are
// replaced by a hash of themselves so they stay within store key limits.
const maxKeyLength = 256

// GitPush is the detail of a "Git Push" event (source shipwave.webhook): a
// verified GitHub or GitLab push, normalized by the webhook receiver. See
// docs/triggers.md.
type GitPush struct {
	// Provider is "github" or "gitlab".
	Provider string `json:"provider"`
	// DeliveryID is the provider's delivery id (X-GitHub-Delivery, or the
	// GitLab event UUID), for tracing.
	DeliveryID string `json:"deliveryId"`
	// Repository is the repository's full name: "owner/name" on GitHub, the
	// project's path with namespace on GitLab. Pipelines name it in
	// source.repository.
	Repository string `json:"repository"`
	// Ref is the full ref pushed, such as refs/heads/main or refs/tags/v1.2.0.
	Ref string `json:"ref"`
	// Before is the commit the ref pointed at before the push; all zeros (or
	// empty) for a new ref.
	Before string `json:"before"`
	// After is the commit the ref points at now; all zeros for a deleted ref.
	After string `json:"after"`
	// Commits are the pushed commits with the files each touched. The path
	// filters see only these files, so the receiver lists all of them, or
	// sets FilesIncomplete.
	Commits []GitCommit `json:"commits"`
	// FilesIncomplete says Commits do not list every changed file: the
	// provider sent only some commits, or the receiver dropped file lists to
	// keep the event within EventBridge's 256 KB. A path filter that none of
	// the listed files matches then cannot rule the push out, and the push
	// releases.
	FilesIncomplete bool `json:"filesIncomplete,omitempty"`
	// Pusher names who pushed.
	Pusher string `json:"pusher,omitempty"`
	// HeadCommitTimestamp is when the head commit was made.
	HeadCommitTimestamp time.Time `json:"headCommitTimestamp,omitzero"`
	// FirstDelivered, set by the receiver on a repeated delivery of the
	// same push (a new delivery id for a push it has seen), is when the push
	// was first delivered: it releases no pipeline created after that.
	FirstDelivered time.Time `json:"firstDelivered,omitzero"`
}

// GitCommit is one commit of a GitPush.
type GitCommit struct {
	ID       string   `json:"id"`
	Added    []string `json:"added,omitempty"`
	Modified []string `json:"modified,omitempty"`
	Removed  []string `json:"removed,omitempty"`
}

// Validate checks a GitPush the way Normalize does; the webhook receiver calls
// it before publishing. Problems are release.ErrInvalid and name the field.
func (p GitPush) Validate() error {
	switch {
	case p.Provider != ProviderGitHub && p.Provider != ProviderGitLab:
		return fieldError("provider", "want %q or %q, got %q", ProviderGitHub, ProviderGitLab, p.Provider)
	case p.DeliveryID == "":
		return fieldError("deliveryId", "required")
	case p.Repository == "":
		return fieldError("repository", "required")
	case strings.ContainsAny(p.Repository, " \t\r\n"):
		return fieldError("repository", "must not contain whitespace, got %q", p.Repository)
	case len(p.Repository) > MaxNameLength:
		return fieldError("repository", "longer than %d bytes", MaxNameLength)
	case p.Ref == "":
		return fieldError("ref", "required")
	case len(p.Ref) > MaxNameLength:
		return fieldError("ref", "longer than %d bytes", MaxNameLength)
	case !strings.HasPrefix(p.Ref, "refs/") || len(p.Ref) == len("refs/"):
		return fieldError("ref", "want a full ref such as refs/heads/main, got %q", p.Ref)
	case p.After == "":
		return fieldError("after", "required")
	}
	if !isCommitID(p.After) {
		return fieldError("after", "want a 40 or 64 digit hex commit id, got %q", p.After)
	}
	if p.Before != "" && !isCommitID(p.Before) {
		return fieldError("before", "want a 40 or 64 digit hex commit id, got %q", p.Before)
	}
	for i, c := range p.Commits {
		if !isCommitID(c.ID) {
			return fieldError(fmt.Sprintf("commits[%d].id", i), "want a 40 or 64 digit hex commit id, got %q", c.ID)
		}
		for name, files := range map[string][]string{"added": c.Added, "modified": c.Modified, "removed": c.Removed} {
			for j, f := range files {
				if f == "" {
					return fieldError(fmt.Sprintf("commits[%d].%s[%d]", i, name, j), "empty path")
				}
			}
		}
	}
	return nil
}

// Push is a normalized push event.
type Push struct {
	// Trigger is the release trigger the push asks for. Its Key is the same
	// on every delivery of the same push.
	Trigger release.Trigger `json:"trigger"`
	// Before is the commit the ref pointed at before the push, "" for a new ref.
	Before string `json:"before,omitempty"`
	// FilesKnown says Trigger.ChangedFiles is the push's complete file list;
	// when false (CodeCommit), path filters must ask a Differ.
	FilesKnown bool `json:"filesKnown"`
	// FirstDelivered, when set, is when the receiver first saw this push
	// (GitPush.FirstDelivered): pipelines created later are skipped.
	FirstDelivered time.Time `json:"firstDelivered,omitzero"`
	// FilesIncomplete says a webhook push listed only some of its files
	// (GitPush.FilesIncomplete); Trigger.ChangedFiles holds those listed.
	FilesIncomplete bool `json:"filesIncomplete,omitempty"`
	// Ignored, when not empty, says why the event asks for no release (a
	// deleted ref, a ref that is neither branch nor tag); Trigger is then
	// only partly filled.
	Ignored string `json:"ignored,omitempty"`
}

// Normalize turns an EventBridge event into a Push. now stands in for the
// event's time when it has none. An unknown source or detail-type, or a
// malformed detail, is a release.ErrInvalid error naming the field; a
// well-formed event that asks for no release returns a Push with Ignored set.
func Normalize(ev events.CloudWatchEvent, now time.Time) (Push, error) {
	var (
		p   Push
		err error
	)
	switch {
	case ev.Source == SourceCodeCommit && ev.DetailType == DetailTypeCodeCommit:
		p, err = normalizeCodeCommit(ev.Detail)
	case ev.Source == SourceWebhook && ev.DetailType == DetailTypeGitPush:
		p, err = normalizeGitPush(ev.Detail)
	case ev.Source == SourceECR && ev.DetailType == DetailTypeECR:
		p, err = normalizeECR(ev.Detail)
	default:
		err = release.Errorf(release.ErrInvalid, "unknown event: source %q with detail-type %q; want %q/%q, %q/%q or %q/%q",
			ev.Source, ev.DetailType, SourceCodeCommit, DetailTypeCodeCommit, SourceWebhook, DetailTypeGitPush, SourceECR, DetailTypeECR)
	}
	if err != nil {
		return Push{}, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	p.Trigger.Time = ev.Time.UTC()
	if ev.Time.IsZero() {
		p.Trigger.Time = now.UTC()
	}
	return p, nil
}

type codeCommitDetail struct {
	Event             string `json:"event"`
	RepositoryName    string `json:"repositoryName"`
	RepositoryID      string `json:"repositoryId"`
	ReferenceType     string `json:"referenceType"`
	ReferenceName     string `json:"referenceName"`
	ReferenceFullName string `json:"referenceFullName"`
	CommitID          string `json:"commitId"`
	OldCommitID       string `json:"oldCommitId"`
	CallerUserArn     string `json:"callerUserArn"`
}

func normalizeCodeCommit(raw json.RawMessage) (Push, error) {
	var d codeCommitDetail
	if err := decodeDetail(raw, &d); err != nil {
		return Push{}, err
	}
	var prefix string
	switch {
	case d.Event != "referenceCreated" && d.Event != "referenceUpdated" && d.Event != "referenceDeleted":
		if d.Event == "" {
			return Push{}, fieldError("event", "required")
		}
		return Push{}, fieldError("event", "want referenceCreated, referenceUpdated or referenceDeleted, got %q", d.Event)
	case d.RepositoryName == "":
		return Push{}, fieldError("repositoryName", "required")
	case len(d.RepositoryName) > MaxNameLength:
		return Push{}, fieldError("repositoryName", "longer than %d bytes", MaxNameLength)
	case d.ReferenceName == "":
		return Push{}, fieldError("referenceName", "required")
	case len(d.ReferenceName) > MaxNameLength:
		return Push{}, fieldError("referenceName", "longer than %d bytes", MaxNameLength)
	case d.ReferenceType == "branch":
		prefix = "refs/heads/"
	case d.ReferenceType == "tag":
		prefix = "refs/tags/"
	case d.ReferenceType == "":
		return Push{}, fieldError("referenceType", "required")
	default:
		return Push{}, fieldError("referenceType", "want branch or tag, got %q", d.ReferenceType)
	}
	ref := prefix + d.ReferenceName
	if d.ReferenceFullName != "" && d.ReferenceFullName != ref {
		return Push{}, fieldError("referenceFullName", "%q does not match %s %q", d.ReferenceFullName, d.ReferenceType, d.ReferenceName)
	}
	t := release.Trigger{
		Kind:       release.TriggerPush,
		Source:     "codecommit",
		Repository: d.RepositoryName,
		Ref:        ref,
		Actor:      d.CallerUserArn,
	}
	setRefName(&t)
	if d.Event == "referenceDeleted" {
		return Push{Trigger: t, Ignored: fmt.Sprintf("%s %s was deleted", d.ReferenceType, d.ReferenceName)}, nil
	}
	if d.CommitID == "" {
		return Push{}, fieldError("commitId", "required for %s", d.Event)
	}
	if !isCommitID(d.CommitID) {
		return Push{}, fieldError("commitId", "want a 40 or 64 digit hex commit id, got %q", d.CommitID)
	}
	if d.OldCommitID != "" && !isCommitID(d.OldCommitID) {
		return Push{}, fieldError("oldCommitId", "want a 40 or 64 digit hex commit id, got %q", d.OldCommitID)
	}
	if d.Event == "referenceUpdated" && d.OldCommitID == "" {
		return Push{}, fieldError("oldCommitId", "required for referenceUpdated")
	}
	t.Commit = strings.ToLower(d.CommitID)
	before := normalizeBefore(d.OldCommitID)
	t.Key = triggerKey(t, before)
	return Push{Trigger: t, Before: before}, nil
}

// gitPushWire decodes a GitPush with the timestamp as text, so a bad
// timestamp can be reported with its field name.
type gitPushWire struct {
	Provider            string      `json:"provider"`
	DeliveryID          string      `json:"deliveryId"`
	Repository          string      `json:"repository"`
	Ref                 string      `json:"ref"`
	Before              string      `json:"before"`
	After               string      `json:"after"`
	Commits             []GitCommit `json:"commits"`
	FilesIncomplete     bool        `json:"filesIncomplete"`
	Pusher              string      `json:"pusher"`
	HeadCommitTimestamp string      `json:"headCommitTimestamp"`
	FirstDelivered      string      `json:"firstDelivered"`
}

func normalizeGitPush(raw json.RawMessage) (Push, error) {
	var w gitPushWire
	if err := decodeDetail(raw, &w); err != nil {
		return Push{}, err
	}
	g := GitPush{
		Provider: w.Provider, DeliveryID: w.DeliveryID, Repository: w.Repository, Ref: w.Ref,
		Before: w.Before, After: w.After, Commits: w.Commits, FilesIncomplete: w.FilesIncomplete, Pusher: w.Pusher,
	}
	if w.HeadCommitTimestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, w.HeadCommitTimestamp)
		if err != nil {
			return Push{}, fieldError("headCommitTimestamp", "want an RFC 3339 time, got %q", w.HeadCommitTimestamp)
		}
		g.HeadCommitTimestamp = ts
	}
	if w.FirstDelivered != "" {
		ts, err := time.Parse(time.RFC3339Nano, w.FirstDelivered)
		if err != nil {
			return Push{}, fieldError("firstDelivered", "want an RFC 3339 time, got %q", w.FirstDelivered)
		}
		g.FirstDelivered = ts
	}
	if err := g.Validate(); err != nil {
		return Push{}, err
	}
	t := release.Trigger{
		Kind:       release.TriggerPush,
		Source:     g.Provider,
		Repository: g.Repository,
		Ref:        g.Ref,
		Actor:      g.Pusher,
	}
	setRefName(&t)
	switch {
	case isZeroCommit(g.After):
		return Push{Trigger: t, Ignored: fmt.Sprintf("ref %s was deleted", g.Ref)}, nil
	case t.Branch == "" && t.Tag == "":
		return Push{Trigger: t, Ignored: fmt.Sprintf("ref %s is neither a branch nor a tag", g.Ref)}, nil
	}
	t.Commit = strings.ToLower(g.After)
	seen := map[string]bool{}
	var files []string
	for _, c := range g.Commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range list {
				if !seen[f] {
					seen[f] = true
					files = append(files, f)
				}
			}
		}
	}
	sort.Strings(files)
	before := normalizeBefore(g.Before)
	t.Key = triggerKey(t, before)
	p := Push{Trigger: t, Before: before, FilesKnown: !g.FilesIncomplete, FilesIncomplete: g.FilesIncomplete, FirstDelivered: g.FirstDelivered}
	p.Trigger.ChangedFiles = files
	return p, nil
}

// triggerKey identifies a push: the same ref moving from the same commit to
// the same commit. Redeliveries share it; pushing an old commit again later
// (a revert by force-push) has a different Before and so a new key. A key
// longer than maxKeyLength is replaced by "push:<source>:sha256:<hex>" of
// itself.
func triggerKey(t release.Trigger, before string) string {
	if before == "" {
		before = "0"
	}
	key := fmt.Sprintf("push:%s:%s:%s:%s:%s", t.Source, t.Repository, t.Ref, before, t.Commit)
	if len(key) > maxKeyLength {
		sum := sha256.Sum256([]byte(key))
		key = fmt.Sprintf("push:%s:sha256:%s", t.Source, hex.EncodeToString(sum[:]))
	}
	return key
}

func setRefName(t *release.Trigger) {
	switch {
	case strings.HasPrefix(t.Ref, "refs/heads/"):
		t.Branch = strings.TrimPrefix(t.Ref, "refs/heads/")
	case strings.HasPrefix(t.Ref, "refs/tags/"):
		t.Tag = strings.TrimPrefix(t.Ref, "refs/tags/")
	}
}

func normalizeBefore(c string) string {
	if isZeroCommit(c) {
		return ""
	}
	return strings.ToLower(c)
}

func isZeroCommit(c string) bool { return strings.Trim(c, "0") == "" }

func isCommitID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// decodeDetail decodes an event detail, naming the field of a type mismatch.
func decodeDetail(raw json.RawMessage, v any) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return release.Errorf(release.ErrInvalid, "detail: missing")
	}
	if trimmed[0] != '{' {
		return release.Errorf(release.ErrInvalid, "detail: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return fieldError(typeErr.Field, "want %s, got JSON %s", typeErr.Type, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return release.Errorf(release.ErrInvalid, "detail: invalid JSON at offset %d: %v", syntaxErr.Offset, err)
		}
		return release.Errorf(release.ErrInvalid, "detail: %v", err)
	}
	if dec.More() {
		return release.Errorf(release.ErrInvalid, "detail: trailing data after the JSON object")
	}
	return nil
}

func fieldError(field, format string, args ...any) error {
	return release.Errorf(release.ErrInvalid, "detail.%s: %s", field, fmt.Sprintf(format, args...))
}
