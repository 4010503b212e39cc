package slack_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
)

func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, name+".golden", append(got, '\n'))
}

func TestMessagesGolden(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	rel := release.Release{
		ID: "01JDX4Q7W3M8Z9Y2K5N6P1R0ST", Pipeline: "orders", SpecVersion: 3, Version: "59b20b8d5c6f",
		Trigger: release.Trigger{Kind: release.TriggerPush, Source: "github", Branch: "main", Actor: "octocat <script>"},
		Status:  release.StatusInProgress, CreatedAt: at, UpdatedAt: at.Add(12 * time.Minute),
	}
	last := release.Event{ReleaseID: rel.ID, Seq: 9, Time: at.Add(12 * time.Minute), Type: release.EventTrafficShifted, Stage: "prod", Wave: "one-box", Target: "orders-live", Message: "10% on 59b20b8d5c6f"}
	waiting := release.Event{ReleaseID: rel.ID, Seq: 4, Time: at.Add(time.Minute), Type: release.EventApprovalWaiting, Stage: "prod", Message: "waiting up to 1h0m0s for approval by release-managers"}
	failed := rel
	failed.ID, failed.Status, failed.Reason = "01JDX3AAAAAAAAAAAAAAAAAAAA", release.StatusRolledBack, "alarm orders-5xx went to ALARM"
	tests := []struct {
		name string
		msg  slack.Message
	}{
		{name: "status-in-progress", msg: slack.StatusMessage(chatops.Summary{Pipeline: "orders", Latest: &rel, LastEvent: &last, Waiting: "a deploy window for prod"})},
		{name: "status-approval", msg: slack.StatusMessage(chatops.Summary{Pipeline: "orders", Latest: &rel, LastEvent: &waiting, Waiting: "approval of prod"})},
		{name: "status-empty", msg: slack.StatusMessage(chatops.Summary{Pipeline: "orders"})},
		{name: "history", msg: slack.HistoryMessage("orders", []release.Release{rel, failed})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { goldenJSON(t, tt.name, tt.msg) })
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text string
		want slack.Command
		err  string
	}{
		{text: "", want: slack.Command{Verb: "help"}},
		{text: "  DEPLOY   orders  v1.2.3 ", want: slack.Command{Verb: "deploy", Pipeline: "orders", Version: "v1.2.3"}},
		{text: "status orders", want: slack.Command{Verb: "status", Pipeline: "orders"}},
		{text: "history orders", want: slack.Command{Verb: "history", Pipeline: "orders", Limit: 5}},
		{text: "history orders 12", want: slack.Command{Verb: "history", Pipeline: "orders", Limit: 12}},
		{text: "approve orders", want: slack.Command{Verb: "approve", Pipeline: "orders"}},
		{text: "approve orders 01JDX4Q7W3M8Z9Y2K5N6P1R0ST ship it", want: slack.Command{Verb: "approve", Pipeline: "orders", ReleaseID: "01JDX4Q7W3M8Z9Y2K5N6P1R0ST", Comment: "ship it"}},
		{text: "reject orders too risky today", want: slack.Command{Verb: "reject", Pipeline: "orders", Comment: "too risky today"}},
		{text: "rollback orders", want: slack.Command{Verb: "rollback", Pipeline: "orders"}},
		{text: "undo orders 01JDX4Q7W3M8Z9Y2K5N6P1R0ST leaks memory", want: slack.Command{Verb: "undo", Pipeline: "orders", ReleaseID: "01JDX4Q7W3M8Z9Y2K5N6P1R0ST", Comment: "leaks memory"}},
		{text: "undo orders", err: "needs a pipeline and a release id"},
		{text: "undo orders latest", err: "needs a release id"},
		{text: "restore orders", want: slack.Command{Verb: "restore", Pipeline: "orders"}},
		{text: "restore orders to v1.2.2 pager is on fire", want: slack.Command{Verb: "restore", Pipeline: "orders", Version: "v1.2.2", Comment: "pager is on fire"}},
		{text: "restore orders to `v1`", err: "not a version"},
		{text: "deploy orders", err: "needs a pipeline and a version"},
		{text: "deploy orders v1 extra", err: "takes a pipeline and a version"},
		{text: "deploy <!channel> v1", err: "not a pipeline name"},
		{text: "deploy orders `v1`", err: "not a version"},
		{text: "history orders 99", err: "1 to 20"},
		{text: "status", err: "needs a pipeline"},
		{text: "nuke orders", err: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := slack.ParseCommand(tt.text)
			if tt.err != "" {
				if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want ErrInvalid with %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "deploy orders v1", "approve orders 01JDX4Q7W3M8Z9Y2K5N6P1R0ST ok", "history orders 3", "status <@U1>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := slack.ParseCommand(text)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			return
		}
		if c.Verb != "help" && c.Pipeline == "" {
			t.Fatalf("accepted %q without a pipeline", text)
		}
	})
}
