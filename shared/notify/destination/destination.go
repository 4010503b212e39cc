// Package destination is the syntax of a notify destination, the entries
// of a pipeline spec's notify list: a Slack incoming webhook
// (https://hooks.slack.com/… or slack+URL), an SNS topic ARN, or a generic
// webhook (webhook+URL). The spec parser checks entries with it when a spec
// is read, and package notify when it sends; it imports nothing but the
// domain, so the parser stays free of senders and AWS.
package destination

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/shipwave/shipwave/shared/release"
)

// Kind is what a destination is.
type Kind string

// The kinds of destination.
const (
	Slack   Kind = "slack"
	SNS     Kind = "sns"
	Webhook Kind = "webhook"
)

// Slack's incoming webhooks live here; any other Slack URL is spelled
// slack+URL.
const slackHooks = "https://hooks.slack.com/"

// snsARN is an SNS topic ARN: partition, region, 12-digit account and a
// topic name (FIFO topics end in .fifo).
var snsARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// Parse returns dest's kind and where it sends to (the URL to post to, or
// the topic ARN). Errors match release.ErrInvalid and say what is wanted,
// without repeating a webhook URL's path (it is often the secret).
func Parse(dest string) (Kind, string, error) {
	switch {
	case strings.HasPrefix(dest, "arn:"):
		if !snsARN.MatchString(dest) {
			return "", "", release.Errorf(release.ErrInvalid, "%q is not an SNS topic ARN (want arn:aws:sns:REGION:ACCOUNT:TOPIC)", clip(dest))
		}
		return SNS, dest, nil
	case strings.HasPrefix(dest, "webhook+"):
		u, err := webURL(strings.TrimPrefix(dest, "webhook+"))
		if err != nil {
			return "", "", release.Errorf(release.ErrInvalid, "webhook+URL: %v", err)
		}
		return Webhook, u, nil
	case strings.HasPrefix(dest, "slack+"):
		u, err := webURL(strings.TrimPrefix(dest, "slack+"))
		if err != nil {
			return "", "", release.Errorf(release.ErrInvalid, "slack+URL: %v", err)
		}
		return Slack, u, nil
	case strings.HasPrefix(dest, slackHooks):
		if _, err := webURL(dest); err != nil || len(dest) == len(slackHooks) {
			return "", "", release.Errorf(release.ErrInvalid, "want a Slack incoming webhook URL, https://hooks.slack.com/services/…")
		}
		return Slack, dest, nil
	}
	return "", "", release.Errorf(release.ErrInvalid, "%q is not a destination: want a Slack incoming webhook URL (https://hooks.slack.com/… or slack+URL), an SNS topic ARN (arn:aws:sns:…) or webhook+URL", clip(dest))
}

// Check says whether dest is a destination (see Parse).
func Check(dest string) error {
	_, _, err := Parse(dest)
	return err
}

// webURL checks an http or https URL with a host.
func webURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", errString("the URL does not parse")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errString("the URL must start with https:// (or http://)")
	case u.Host == "":
		return "", errString("the URL has no host")
	case u.User != nil:
		return "", errString("the URL must not carry a user or password")
	}
	return raw, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// clip keeps an error short and a long value's tail (where a secret
// would be) out of it.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
