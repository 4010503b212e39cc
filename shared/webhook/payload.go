package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/triggers"
)

// githubPush is the part of GitHub's "push" event payload Shipwave reads.
type githubPush struct {
	Ref        string `json:"ref"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Pusher struct {
		Name string `json:"name"`
	} `json:"pusher"`
	Sender struct {
		Login string `json:"login"`
	} `json:"sender"`
	Commits    []payloadCommit `json:"commits"`
	HeadCommit *payloadCommit  `json:"head_commit"`
}

// gitlabPush is the part of GitLab's "Push Hook" and "Tag Push Hook"
// payloads Shipwave reads.
type gitlabPush struct {
	ObjectKind   string `json:"object_kind"`
	Ref          string `json:"ref"`
	Before       string `json:"before"`
	After        string `json:"after"`
	UserUsername string `json:"user_username"`
	UserName     string `json:"user_name"`
	Project      struct {
		PathWithNamespace string `json:"path_with_namespace"`
	} `json:"project"`
	Commits           []payloadCommit `json:"commits"`
	TotalCommitsCount int             `json:"total_commits_count"`
}

type payloadCommit struct {
	ID        string   `json:"id"`
	Timestamp string   `json:"timestamp"`
	Added     []string `json:"added"`
	Modified  []string `json:"modified"`
	Removed   []string `json:"removed"`
}

// ParseGitHubPush turns a verified GitHub push payload into a GitPush.
// Malformed JSON or fields are release.ErrInvalid errors naming the field;
// the result passes triggers.GitPush.Validate.
func ParseGitHubPush(deliveryID string, body []byte) (triggers.GitPush, error) {
	var p githubPush
	if err := decode(body, &p); err != nil {
		return triggers.GitPush{}, err
	}
	g := triggers.GitPush{
		Provider: triggers.ProviderGitHub, DeliveryID: deliveryID, Repository: p.Repository.FullName,
		Ref: p.Ref, Before: p.Before, After: p.After, Pusher: p.Pusher.Name, Commits: commits(p.Commits),
	}
	if g.Pusher == "" {
		g.Pusher = p.Sender.Login
	}
	if p.HeadCommit != nil && p.HeadCommit.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339, p.HeadCommit.Timestamp)
		if err != nil {
			return triggers.GitPush{}, release.Errorf(release.ErrInvalid, "payload: head_commit.timestamp: want an ISO 8601 time, got %q", clip(p.HeadCommit.Timestamp))
		}
		g.HeadCommitTimestamp = ts.UTC()
	}
	return g, validate(g)
}

// ParseGitLabPush turns a verified GitLab push or tag-push payload into a
// GitPush. Errors are as for ParseGitHubPush. truncated reports that GitLab
// left commits out of the payload (it lists at most 20), so the changed
// files are incomplete; the GitPush then says so (FilesIncomplete), so path
// filters cannot rule the push out on the files listed.
func ParseGitLabPush(deliveryID string, body []byte) (g triggers.GitPush, truncated bool, err error) {
	var p gitlabPush
	if err := decode(body, &p); err != nil {
		return triggers.GitPush{}, false, err
	}
	if p.ObjectKind != "push" && p.ObjectKind != "tag_push" {
		return triggers.GitPush{}, false, release.Errorf(release.ErrInvalid, "payload: object_kind: want push or tag_push, got %q", clip(p.ObjectKind))
	}
	g = triggers.GitPush{
		Provider: triggers.ProviderGitLab, DeliveryID: deliveryID, Repository: p.Project.PathWithNamespace,
		Ref: p.Ref, Before: p.Before, After: p.After, Pusher: p.UserUsername, Commits: commits(p.Commits),
	}
	if g.Pusher == "" {
		g.Pusher = p.UserName
	}
	if n := len(p.Commits); n > 0 {
		head := p.Commits[n-1]
		for _, c := range p.Commits {
			if c.ID == p.After {
				head = c
			}
		}
		if head.Timestamp != "" {
			ts, err := time.Parse(time.RFC3339, head.Timestamp)
			if err != nil {
				return triggers.GitPush{}, false, release.Errorf(release.ErrInvalid, "payload: commits[].timestamp: want an ISO 8601 time, got %q", clip(head.Timestamp))
			}
			g.HeadCommitTimestamp = ts.UTC()
		}
	}
	truncated = p.TotalCommitsCount > len(p.Commits)
	g.FilesIncomplete = truncated
	return g, truncated, validate(g)
}

func commits(in []payloadCommit) []triggers.GitCommit {
	out := make([]triggers.GitCommit, 0, len(in))
	for _, c := range in {
		out = append(out, triggers.GitCommit{ID: c.ID, Added: c.Added, Modified: c.Modified, Removed: c.Removed})
	}
	return out
}

// validate maps GitPush.Validate's "detail.x" field names to payload ones.
func validate(g triggers.GitPush) error {
	if err := g.Validate(); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	return nil
}

func decode(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return release.Errorf(release.ErrInvalid, "payload: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return release.Errorf(release.ErrInvalid, "payload: %s: want %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return release.Errorf(release.ErrInvalid, "payload: %v", err)
	}
	if dec.More() {
		return release.Errorf(release.ErrInvalid, "payload: trailing data after the JSON object")
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
