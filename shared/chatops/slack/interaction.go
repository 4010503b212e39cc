package slack

import (
	"encoding/json"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// Interaction is the part of a Block Kit interaction payload (a button
// press) the handler reads.
type Interaction struct {
	Type string `json:"type"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		TeamID   string `json:"team_id"`
	} `json:"user"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
	Actions     []struct {
		ActionID string `json:"action_id"`
		BlockID  string `json:"block_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// ParseInteraction decodes the payload field of an interaction request and
// turns an approval button press into the command it stands for. Anything
// else is a release.ErrInvalid error.
func ParseInteraction(payload string) (Interaction, Command, error) {
	var in Interaction
	if len(payload) > 64<<10 {
		return in, Command{}, release.Errorf(release.ErrInvalid, "interaction payload too large")
	}
	if err := json.Unmarshal([]byte(payload), &in); err != nil {
		return in, Command{}, release.Errorf(release.ErrInvalid, "interaction payload: %v", err)
	}
	if in.Type != "block_actions" {
		return in, Command{}, release.Errorf(release.ErrInvalid, "interaction type %q is not handled", clip(in.Type))
	}
	if len(in.Actions) != 1 {
		return in, Command{}, release.Errorf(release.ErrInvalid, "interaction carries %d actions, want 1", len(in.Actions))
	}
	a := in.Actions[0]
	c := Command{}
	switch a.ActionID {
	case ActionApprove:
		c.Verb = "approve"
	case ActionReject:
		c.Verb = "reject"
	default:
		return in, Command{}, release.Errorf(release.ErrInvalid, "action %q is not handled", clip(a.ActionID))
	}
	pipeline, id, ok := strings.Cut(a.Value, "/")
	if !ok || !validName(pipeline) || !looksLikeReleaseID(id) {
		return in, Command{}, release.Errorf(release.ErrInvalid, "action value %q is not <pipeline>/<release id>", clip(a.Value))
	}
	c.Pipeline, c.ReleaseID = pipeline, id
	return in, c, nil
}
