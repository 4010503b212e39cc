// Package notify announces releases to the destinations a pipeline's spec
// lists under notify:
//
//	https://hooks.slack.com/...          a Slack incoming webhook (Block Kit;
//	slack+https://HOST/PATH              approval messages carry Approve and
//	                                     Reject buttons that feed the Slack
//	                                     function's two-way flow)
//	arn:aws:sns:REGION:ACCOUNT:TOPIC     an SNS topic
//	webhook+https://HOST/PATH            a generic JSON webhook, signed with
//	webhook+http://HOST/PATH             HMAC-SHA256 like hooks (headers
//	                                     X-Shipwave-Timestamp and
//	                                     X-Shipwave-Signature)
//
// It fires on release started, approval waiting, wave promoted, rolled back
// (with the alarm or hook that caused it and the reason), succeeded and
// needs attention. A Notifier follows the event log (it is not called from
// the control handlers), so a slow or broken destination never blocks or
// fails a release. Each (event, destination) is claimed once in the store
// before it is sent, so two notifiers, or one restarted, send it once;
// sending is retried with backoff.
package notify

import (
	"fmt"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// Kind is what a notification announces.
type Kind string

// The kinds of notification.
const (
	Started        Kind = "started"
	ApprovalWait   Kind = "approval_waiting"
	WavePromoted   Kind = "wave_promoted"
	RolledBack     Kind = "rolled_back"
	Succeeded      Kind = "succeeded"
	NeedsAttention Kind = "needs_attention"
)

// Message is one notification.
type Message struct {
	Kind      Kind   `json:"kind"`
	Pipeline  string `json:"pipeline"`
	ReleaseID string `json:"releaseId"`
	Version   string `json:"version"`
	Stage     string `json:"stage,omitempty"`
	Wave      string `json:"wave,omitempty"`
	// Cause is the alarm or hook that rolled the release back, as its
	// event said it.
	Cause  string `json:"cause,omitempty"`
	Reason string `json:"reason,omitempty"`
	Seq    int64  `json:"seq"`
	Text   string `json:"text"`
}

// EventTypes are the event types Of announces; every other event is
// silent. (The AWS stack's stream filter lists the same, so the notify
// function is invoked only for these.)
func EventTypes() []release.EventType {
	return []release.EventType{release.EventStarted, release.EventApprovalWaiting, release.EventWaveSucceeded,
		release.EventReleaseRolledBack, release.EventReleaseFailed, release.EventReleaseSucceeded, release.EventReleaseNeedsAttention}
}

// Of returns the notification an event of rel calls for, if any; log is
// the release's events up to and including ev (for a rollback's cause).
func Of(rel release.Release, ev release.Event, log []release.Event) (Message, bool) {
	m := Message{Pipeline: rel.Pipeline, ReleaseID: rel.ID, Version: rel.Version, Stage: ev.Stage, Wave: ev.Wave, Seq: ev.Seq}
	who := fmt.Sprintf("%s %s (release %s)", rel.Pipeline, rel.Version, rel.ID)
	switch ev.Type {
	case release.EventStarted:
		m.Kind, m.Text = Started, "Release started: "+who
	case release.EventApprovalWaiting:
		m.Kind, m.Text = ApprovalWait, fmt.Sprintf("Approval waiting at stage %s: %s. Approve with shipwave release approve %s", ev.Stage, who, rel.ID)
	case release.EventWaveSucceeded:
		m.Kind, m.Text = WavePromoted, fmt.Sprintf("Wave %s/%s promoted: %s", ev.Stage, ev.Wave, who)
	case release.EventReleaseRolledBack, release.EventReleaseFailed:
		m.Kind = RolledBack
		m.Reason = firstNonEmpty(ev.Message, rel.Reason)
		m.Cause = cause(log)
		m.Text = "Rolled back: " + who
		if m.Cause != "" {
			m.Text += ", because " + m.Cause
		}
		if m.Reason != "" {
			m.Text += ". " + m.Reason
		}
	case release.EventReleaseSucceeded:
		m.Kind, m.Text = Succeeded, "Succeeded: "+who
	case release.EventReleaseNeedsAttention:
		m.Kind, m.Reason = NeedsAttention, firstNonEmpty(ev.Message, rel.Reason)
		m.Text = "Needs attention: " + who + ". " + m.Reason
	default:
		return Message{}, false
	}
	return m, true
}

// cause is the first alarm, failed hook, failed load test or rollback
// request in log.
func cause(log []release.Event) string {
	for _, e := range log {
		switch e.Type {
		case release.EventAlarm, release.EventHookFailed, release.EventLoadTestFailed, release.EventRollbackRequest:
			where := strings.Trim(strings.Join([]string{e.Stage, e.Wave, e.Target}, "/"), "/")
			if where != "" {
				where = " on " + where
			}
			return fmt.Sprintf("%s%s: %s", e.Type, where, e.Message)
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
