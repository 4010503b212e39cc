package slack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// Command is a parsed /ship command.
type Command struct {
	// Verb is deploy, status, history, approve, reject, rollback or help.
	Verb     string
	Pipeline string
	// Version is what deploy releases.
	Version string
	// ReleaseID optionally names the release approve, reject and rollback
	// act on.
	ReleaseID string
	// Comment is the free text after the arguments.
	Comment string
	// Limit is how many releases history lists.
	Limit int
}

// Usage is the help text.
const Usage = "Usage: `/ship deploy <pipeline> <version>` · `/ship status <pipeline>` · `/ship history <pipeline> [count]` · " +
	"`/ship approve <pipeline> [release-id] [comment]` · `/ship reject <pipeline> [release-id] [comment]` · " +
	"`/ship rollback <pipeline> [release-id] [reason]` · `/ship undo <pipeline> <release-id> [reason]` · " +
	"`/ship restore <pipeline> [to <version>] [reason]` · `/ship help`"

// maxText bounds the command text.
const maxText = 2000

// ParseCommand parses the text after /ship. Mistakes are release.ErrInvalid
// errors that say what was expected.
func ParseCommand(text string) (Command, error) {
	if len(text) > maxText {
		return Command{}, release.Errorf(release.ErrInvalid, "command longer than %d characters", maxText)
	}
	f := strings.Fields(text)
	if len(f) == 0 {
		return Command{Verb: "help"}, nil
	}
	c := Command{Verb: strings.ToLower(f[0])}
	args := f[1:]
	need := func(n int, what string) error {
		if len(args) < n {
			return release.Errorf(release.ErrInvalid, "`%s` needs %s", c.Verb, what)
		}
		return nil
	}
	switch c.Verb {
	case "help":
		return c, nil
	case "deploy":
		if err := need(2, "a pipeline and a version: `/ship deploy <pipeline> <version>`"); err != nil {
			return Command{}, err
		}
		c.Pipeline, c.Version = args[0], args[1]
		if len(args) > 2 {
			return Command{}, release.Errorf(release.ErrInvalid, "`deploy` takes a pipeline and a version, got %d arguments", len(args))
		}
	case "status":
		if err := need(1, "a pipeline: `/ship status <pipeline>`"); err != nil {
			return Command{}, err
		}
		c.Pipeline = args[0]
	case "history":
		if err := need(1, "a pipeline: `/ship history <pipeline> [count]`"); err != nil {
			return Command{}, err
		}
		c.Pipeline, c.Limit = args[0], 5
		if len(args) > 1 {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 || n > 20 {
				return Command{}, release.Errorf(release.ErrInvalid, "`history` count must be 1 to 20, got %q", clip(args[1]))
			}
			c.Limit = n
		}
	case "approve", "reject", "rollback":
		if err := need(1, fmt.Sprintf("a pipeline: `/ship %s <pipeline> [release-id] [text]`", c.Verb)); err != nil {
			return Command{}, err
		}
		c.Pipeline = args[0]
		rest := args[1:]
		if len(rest) > 0 && looksLikeReleaseID(rest[0]) {
			c.ReleaseID, rest = rest[0], rest[1:]
		}
		c.Comment = strings.Join(rest, " ")
	case "undo":
		if err := need(2, "a pipeline and a release id: `/ship undo <pipeline> <release-id> [reason]`"); err != nil {
			return Command{}, err
		}
		if !looksLikeReleaseID(args[1]) {
			return Command{}, release.Errorf(release.ErrInvalid, "`undo` needs a release id after the pipeline, got %q", clip(args[1]))
		}
		c.Pipeline, c.ReleaseID, c.Comment = args[0], args[1], strings.Join(args[2:], " ")
	case "restore":
		if err := need(1, "a pipeline: `/ship restore <pipeline> [to <version>] [reason]`"); err != nil {
			return Command{}, err
		}
		c.Pipeline = args[0]
		rest := args[1:]
		if len(rest) >= 2 && strings.EqualFold(rest[0], "to") {
			c.Version, rest = rest[1], rest[2:]
		}
		c.Comment = strings.Join(rest, " ")
	default:
		return Command{}, release.Errorf(release.ErrInvalid, "unknown command %q", clip(f[0]))
	}
	if !validName(c.Pipeline) {
		return Command{}, release.Errorf(release.ErrInvalid, "%q is not a pipeline name", clip(c.Pipeline))
	}
	if c.Version != "" && (len(c.Version) > 128 || strings.ContainsAny(c.Version, "`*<>")) {
		return Command{}, release.Errorf(release.ErrInvalid, "%q is not a version", clip(c.Version))
	}
	return c, nil
}

// looksLikeReleaseID reports whether s is a store id (a 26-character ULID).
func looksLikeReleaseID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
