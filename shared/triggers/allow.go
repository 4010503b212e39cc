package triggers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// ruleKind is the spec name of the kind of trigger rule tr is.
func ruleKind(tr release.TriggerRule) string {
	switch {
	case tr.Push != nil:
		return "push"
	case tr.Image != nil:
		return "image"
	case tr.Schedule != nil:
		return "schedule"
	case tr.CodePipeline != nil:
		return "codePipeline"
	case tr.Chat != nil:
		return "chat"
	case tr.Voice != nil:
		return "voice"
	}
	return ""
}

// specKind is the spec's name for a trigger kind ("codePipeline" for
// release.TriggerCodePipeline).
func specKind(k release.TriggerKind) string {
	if k == release.TriggerCodePipeline {
		return "codePipeline"
	}
	return string(k)
}

// ErrNotListed is what Allow's refusals match (besides
// release.ErrUnauthorized): the spec does not list the trigger kind.
var ErrNotListed = errors.New("trigger kind not listed in the pipeline's triggers")

type notListedError struct{ msg string }

func (e *notListedError) Error() string { return e.msg }

// Is makes the refusal match ErrNotListed and release.ErrUnauthorized.
func (e *notListedError) Is(target error) bool {
	return target == ErrNotListed || target == release.ErrUnauthorized
}

func notListed(format string, args ...any) error {
	return &notListedError{msg: fmt.Sprintf(format, args...)}
}

// Allow says whether pipeline p may be started by a trigger of kind k. The
// spec's triggers list is the authority: a kind must be listed there
// (triggers: [{chat: {}}] admits Slack deploys, and so on); a pipeline
// without triggers is started manually only. release.TriggerManual (an
// authorized API or CLI start) is always allowed. A refusal matches
// ErrNotListed and release.ErrUnauthorized and names the pipeline, the
// kind and what the spec lists, so the sender can see why.
func Allow(p release.Pipeline, k release.TriggerKind) error {
	if k == release.TriggerManual {
		return nil
	}
	want := specKind(k)
	var listed []string
	for _, tr := range p.Triggers {
		rk := ruleKind(tr)
		if rk == want {
			return nil
		}
		listed = append(listed, rk)
	}
	if len(listed) == 0 {
		return notListed("pipeline %s lists no triggers, so it is started manually only; add `- %s: {}` to its triggers to allow %s starts", p.Name, want, want)
	}
	return notListed("pipeline %s does not list a %s trigger (triggers: %s); add `- %s: {}` to allow %s starts", p.Name, want, strings.Join(listed, ", "), want, want)
}
