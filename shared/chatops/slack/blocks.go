package slack

import (
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/release"
)

// Message is a Slack message as a slash command response or a
// response_url post.
type Message struct {
	// ResponseType is "ephemeral" (only the caller sees it) or "in_channel".
	ResponseType    string  `json:"response_type"`
	Text            string  `json:"text"`
	Blocks          []Block `json:"blocks,omitempty"`
	ReplaceOriginal bool    `json:"replace_original,omitempty"`
}

// Block is one Block Kit block: section, context, divider or header.
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []any  `json:"elements,omitempty"` // Text (context) or Button (actions)
	BlockID  string `json:"block_id,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"` // mrkdwn or plain_text
	Text string `json:"text"`
}

// Button is an interactive Block Kit button.
type Button struct {
	Type     string `json:"type"` // button
	Text     Text   `json:"text"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Style    string `json:"style,omitempty"` // primary or danger
}

// Action ids of the approval buttons; their value is "<pipeline>/<release id>".
const (
	ActionApprove = "shipwave_approve"
	ActionReject  = "shipwave_reject"
)

func mrkdwn(s string) Text { return Text{Type: "mrkdwn", Text: s} }

// statusEmoji marks each status in messages.
var statusEmoji = map[release.Status]string{
	release.StatusPending:    ":hourglass_flowing_sand:",
	release.StatusQueued:     ":double_vertical_bar:",
	release.StatusInProgress: ":arrows_counterclockwise:",
	release.StatusSucceeded:  ":white_check_mark:",
	release.StatusRolledBack: ":rewind:",
	release.StatusFailed:     ":x:",
	release.StatusSuperseded: ":fast_forward:",
	release.StatusCancelled:  ":no_entry_sign:",
}

// escape makes user-controlled text safe inside mrkdwn: Slack's three
// control characters.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// ReleaseBlocks renders a release: its pipeline, id, status and version,
// who triggered it, what it waits for and its latest event.
func ReleaseBlocks(r release.Release, last *release.Event, waiting string) []Block {
	head := fmt.Sprintf("%s *%s* release `%s` is *%s*", statusEmoji[r.Status], escape(r.Pipeline), r.ID, r.Status)
	if waiting != "" {
		head += " — waiting for " + escape(waiting)
	}
	blocks := []Block{
		{Type: "section", BlockID: "release-" + r.ID, Text: &Text{Type: "mrkdwn", Text: head}},
		{Type: "section", Fields: []Text{
			mrkdwn("*Version*\n`" + escape(r.Version) + "`"),
			mrkdwn("*Trigger*\n" + escape(describeTrigger(r.Trigger))),
			mrkdwn("*Started*\n" + r.CreatedAt.UTC().Format(time.RFC3339)),
			mrkdwn("*Updated*\n" + r.UpdatedAt.UTC().Format(time.RFC3339)),
		}},
	}
	var ctx []any
	if last != nil {
		where := joinNonEmpty("/", last.Stage, last.Wave, last.Target)
		line := fmt.Sprintf("%s · %s", last.Time.UTC().Format("15:04:05Z"), last.Type)
		if where != "" {
			line += " · " + escape(where)
		}
		if last.Message != "" {
			line += " — " + escape(last.Message)
		}
		ctx = append(ctx, mrkdwn(line))
	}
	if r.Reason != "" {
		ctx = append(ctx, mrkdwn("Reason: "+escape(r.Reason)))
	}
	if len(ctx) > 0 {
		blocks = append(blocks, Block{Type: "context", Elements: ctx})
	}
	if strings.HasPrefix(waiting, "approval") && !r.Status.Terminal() {
		value := r.Pipeline + "/" + r.ID
		blocks = append(blocks, Block{Type: "actions", BlockID: "approval-" + r.ID, Elements: []any{
			Button{Type: "button", Text: Text{Type: "plain_text", Text: "Approve"}, ActionID: ActionApprove, Value: value, Style: "primary"},
			Button{Type: "button", Text: Text{Type: "plain_text", Text: "Reject"}, ActionID: ActionReject, Value: value, Style: "danger"},
		}})
	}
	return blocks
}

// StatusMessage renders a status answer.
func StatusMessage(s chatops.Summary) Message {
	if s.Latest == nil {
		return Message{ResponseType: "ephemeral", Text: fmt.Sprintf("%s has no releases yet.", s.Pipeline)}
	}
	r := *s.Latest
	return Message{ResponseType: "ephemeral", Text: fmt.Sprintf("%s release %s is %s", r.Pipeline, r.ID, r.Status),
		Blocks: ReleaseBlocks(r, s.LastEvent, s.Waiting)}
}

// HistoryMessage renders a list of releases, newest first.
func HistoryMessage(pipeline string, rels []release.Release) Message {
	if len(rels) == 0 {
		return Message{ResponseType: "ephemeral", Text: fmt.Sprintf("%s has no releases yet.", pipeline)}
	}
	var lines []string
	for _, r := range rels {
		lines = append(lines, fmt.Sprintf("%s `%s` *%s* `%s` · %s · %s", statusEmoji[r.Status], r.ID, r.Status, escape(r.Version),
			escape(describeTrigger(r.Trigger)), r.CreatedAt.UTC().Format("2006-01-02 15:04Z")))
	}
	return Message{ResponseType: "ephemeral", Text: fmt.Sprintf("Last %d releases of %s", len(rels), pipeline), Blocks: []Block{
		{Type: "header", Text: &Text{Type: "plain_text", Text: "Releases of " + pipeline}},
		{Type: "section", Text: &Text{Type: "mrkdwn", Text: strings.Join(lines, "\n")}},
	}}
}

func describeTrigger(t release.Trigger) string {
	s := string(t.Kind)
	switch {
	case t.Tag != "":
		s += " of tag " + t.Tag
	case t.Branch != "":
		s += " to " + t.Branch
	}
	if t.Actor != "" {
		s += " by " + t.Actor
	}
	if t.Source != "" && t.Source != string(t.Kind) {
		s += " via " + t.Source
	}
	return s
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
