package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/release"
)

// press builds the interaction request Slack sends when user presses
// action on the message of release.
func press(user, action, value, responseURL string) string {
	p := map[string]any{
		"type":         "block_actions",
		"user":         map[string]string{"id": user, "username": strings.ToLower(user), "team_id": "T1DC2JH3J"},
		"api_app_id":   "A0SHIPWAVE",
		"token":        "xyzz0WbapA4vBCDEFasx0q6G",
		"trigger_id":   "398738663015.47445629121." + user + action,
		"team":         map[string]string{"id": "T1DC2JH3J", "domain": "acme"},
		"channel":      map[string]string{"id": "C0DEPLOYS", "name": "deploys"},
		"response_url": responseURL,
		"actions":      []map[string]string{{"action_id": action, "block_id": "approval-x", "value": value, "type": "button", "action_ts": "1795330800.123"}},
	}
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}.Encode()
}

func TestApprovalButtons(t *testing.T) {
	got := make(chan slack.Message, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var m slack.Message
		json.NewDecoder(r.Body).Decode(&m)
		got <- m
	}))
	t.Cleanup(hook.Close)
	w := newWorld(t, nil)
	w.handler.ResponseHosts = []string{hook.URL}
	w.post(t, form("U2CERLKJA", "deploy orders v3", ""), w.now, "")
	rel := w.releases(t)[0]
	if _, err := w.store.TransitionRelease(context.Background(), rel.ID, release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutTaskToken(context.Background(), release.TaskToken{Token: "tok", Kind: release.TokenApproval, ReleaseID: rel.ID, Pipeline: "orders",
		Stage: "prod", Approvers: []string{"U0APPROVE"}, CreatedAt: w.now, ExpiresAt: w.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, _, raw := w.post(t, form("U2CERLKJA", "status orders", ""), w.now, "")
	if !strings.Contains(raw, `"action_id":"shipwave_approve"`) || !strings.Contains(raw, `"value":"orders/`+rel.ID+`"`) {
		t.Fatalf("status has no approval buttons: %s", raw)
	}
	value := "orders/" + rel.ID
	steps := []struct {
		name, user, action, wantText string
		replace                      bool
	}{
		{name: "stranger", user: "U666", action: slack.ActionApprove, wantText: ":no_entry:"},
		{name: "approver", user: "U0APPROVE", action: slack.ActionApprove, wantText: "approved release `" + rel.ID + "`", replace: true},
		{name: "too late", user: "U0APPROVE", action: slack.ActionReject, wantText: "no approval waiting"},
	}
	for _, s := range steps {
		code, _, body := w.post(t, press(s.user, s.action, value, hook.URL+"/actions/T1/1/x"), w.now, "")
		if code != http.StatusOK {
			t.Fatalf("%s: got %d %s", s.name, code, body)
		}
		select {
		case m := <-got:
			if !strings.Contains(m.Text, s.wantText) || m.ReplaceOriginal != s.replace {
				t.Fatalf("%s: got follow-up %+v, want %q (replace %v)", s.name, m, s.wantText, s.replace)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no follow-up", s.name)
		}
	}
	if w.callbacks.successes != 1 {
		t.Errorf("got %d approvals sent, want 1", w.callbacks.successes)
	}
}

func TestInteractionRefusals(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		name string
		body string
		sign bool
		want int
	}{
		{name: "unsigned", body: press("U0APPROVE", slack.ActionApprove, "orders/01JDX4Q7W3M8Z9Y2K5N6P1R0ST", "https://hooks.slack.com/actions/x"), want: 401},
		{name: "response_url elsewhere", body: press("U0APPROVE", slack.ActionApprove, "orders/01JDX4Q7W3M8Z9Y2K5N6P1R0ST", "https://evil.example/x"), sign: true, want: 400},
		{name: "unknown action", body: press("U0APPROVE", "shipwave_nuke", "orders/01JDX4Q7W3M8Z9Y2K5N6P1R0ST", "https://hooks.slack.com/actions/x"), sign: true, want: 400},
		{name: "bad value", body: press("U0APPROVE", slack.ActionApprove, "orders", "https://hooks.slack.com/actions/x"), sign: true, want: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := "wrong"
			if tt.sign {
				secret = ""
			}
			if code, _, body := w.post(t, tt.body, w.now, secret); code != tt.want {
				t.Fatalf("got %d %s, want %d", code, body, tt.want)
			}
		})
	}
}

func FuzzParseInteraction(f *testing.F) {
	f.Add(`{"type":"block_actions","user":{"id":"U1"},"response_url":"https://hooks.slack.com/x","actions":[{"action_id":"shipwave_approve","value":"orders/01JDX4Q7W3M8Z9Y2K5N6P1R0ST"}]}`)
	f.Add(`{"type":"view_submission"}`)
	f.Add(`{"type":"block_actions","actions":[]}`)
	f.Fuzz(func(t *testing.T, payload string) {
		_, c, err := slack.ParseInteraction(payload)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			return
		}
		if c.Pipeline == "" || c.ReleaseID == "" || (c.Verb != "approve" && c.Verb != "reject") {
			t.Fatalf("accepted %+v", c)
		}
	})
}
