package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/notify/destination"
)

// Publisher publishes to an SNS topic (package snspub adapts the SNS
// client).
type Publisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) error
}

// Sender delivers messages to destinations.
type Sender struct {
	HTTP *http.Client
	// Secret signs generic webhooks (HMAC-SHA256, as hooks are signed).
	Secret []byte
	// SNS publishes to topics; nil refuses SNS destinations.
	SNS Publisher
	Now func() time.Time
}

// Send delivers one message to dest once (no retries).
func (s *Sender) Send(ctx context.Context, dest string, m Message) error {
	kind, to, err := destination.Parse(dest)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	switch kind {
	case destination.SNS:
		if s.SNS == nil {
			return fmt.Errorf("notify %s: no SNS client here", to)
		}
		b, _ := json.Marshal(m)
		return s.SNS.Publish(ctx, to, clip("Shipwave: "+string(m.Kind)+" "+m.Pipeline+" "+m.Version, 100), string(b))
	case destination.Webhook:
		body, _ := json.Marshal(m)
		ts := strconv.FormatInt(s.now().Unix(), 10)
		h := http.Header{}
		h.Set(hooks.HeaderTimestamp, ts)
		h.Set(hooks.HeaderSignature, hooks.Sign(s.Secret, ts, body))
		return s.post(ctx, to, body, h)
	default:
		body, _ := json.Marshal(slackMessage(m))
		return s.post(ctx, to, body, http.Header{})
	}
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) post(ctx context.Context, url string, body []byte, h http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s answered %d", redact(url), resp.StatusCode)
	}
	return nil
}

// redact keeps a webhook URL's secret path out of logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a webhook)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string         `json:"type"`
	Text     *slackText     `json:"text,omitempty"`
	Elements []slack.Button `json:"elements,omitempty"`
}

// slackMessage is the Block Kit message of m: its text, and for an
// approval the Approve and Reject buttons the Slack function handles.
func slackMessage(m Message) map[string]any {
	blocks := []slackBlock{{Type: "section", Text: &slackText{Type: "mrkdwn", Text: m.Text}}}
	if m.Kind == ApprovalWait {
		value := m.Pipeline + "/" + m.ReleaseID
		blocks = append(blocks, slackBlock{Type: "actions", Elements: []slack.Button{
			{Type: "button", Text: slack.Text{Type: "plain_text", Text: "Approve"}, ActionID: slack.ActionApprove, Value: value, Style: "primary"},
			{Type: "button", Text: slack.Text{Type: "plain_text", Text: "Reject"}, ActionID: slack.ActionReject, Value: value, Style: "danger"},
		}})
	}
	return map[string]any{"text": m.Text, "blocks": blocks}
}
