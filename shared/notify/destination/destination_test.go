package destination_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/notify/destination"
	"github.com/shipwave/shipwave/shared/release"
)

func TestParse(t *testing.T) {
	tests := []struct {
		dest     string
		wantKind destination.Kind
		wantTo   string
		wantErr  string
	}{
		{"https://hooks.slack.com/services/T000/B000/XXXX", destination.Slack, "https://hooks.slack.com/services/T000/B000/XXXX", ""},
		{"slack+http://127.0.0.1:9000/slack", destination.Slack, "http://127.0.0.1:9000/slack", ""},
		{"webhook+https://ops.example.com/shipwave", destination.Webhook, "https://ops.example.com/shipwave", ""},
		{"arn:aws:sns:eu-west-1:123456789012:releases", destination.SNS, "arn:aws:sns:eu-west-1:123456789012:releases", ""},
		{"arn:aws-cn:sns:cn-north-1:123456789012:releases.fifo", destination.SNS, "arn:aws-cn:sns:cn-north-1:123456789012:releases.fifo", ""},
		{"arn:aws:sns:eu-west-1:1234:releases", "", "", "is not an SNS topic ARN"},
		{"arn:aws:sqs:eu-west-1:123456789012:q", "", "", "is not an SNS topic ARN"},
		{"webhook+ftp://ops.example.com/x", "", "", "must start with https://"},
		{"webhook+https:///path-only", "", "", "has no host"},
		{"webhook+https://user:pw@ops.example.com/", "", "", "must not carry a user"},
		{"slack+%zz", "", "", "does not parse"},
		{"https://hooks.slack.com/", "", "", "Slack incoming webhook URL"},
		{"http://example.com/x", "", "", "is not a destination"},
		{"#releases", "", "", "is not a destination"},
	}
	for _, tt := range tests {
		t.Run(tt.dest, func(t *testing.T) {
			kind, to, err := destination.Parse(tt.dest)
			if tt.wantErr == "" {
				if err != nil || kind != tt.wantKind || to != tt.wantTo {
					t.Errorf("Parse = %q, %q, %v; want %q, %q", kind, to, err, tt.wantKind, tt.wantTo)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, release.ErrInvalid) {
				t.Errorf("Parse error = %v, want ErrInvalid containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestErrorsKeepSecretsOut(t *testing.T) {
	secret := "webhook+https://hooks.example.com/services/T000/B000/very-secret-token-value"
	if err := destination.Check(strings.Replace(secret, "https", "gopher", 1)); err == nil || strings.Contains(err.Error(), "very-secret") {
		t.Errorf("Check error = %v, want one without the URL's path", err)
	}
}

// FuzzParse: any string is accepted or refused without a panic; what is
// accepted sends to itself or to itself without its kind's prefix, an
// http(s) URL with a host or an SNS topic ARN, and a refusal never echoes
// more than a value's first 40 bytes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"https://hooks.slack.com/services/T/B/X", "slack+http://127.0.0.1:1/s", "webhook+https://h/p",
		"arn:aws:sns:us-east-1:123456789012:t", "arn:aws:sns:::", "webhook+", "slack+https://", "#x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dest string) {
		// Whatever the value starts with, a tail past 40 bytes (where a
		// webhook's secret is) is never echoed.
		padded := (dest + strings.Repeat("x", 40))[:40] + "\x01tail-secret"
		if _, _, err := destination.Parse(padded); err != nil && strings.Contains(err.Error(), "tail-secret") {
			t.Fatalf("refusal %q echoes the value's tail", err)
		}
		kind, to, err := destination.Parse(dest)
		if err != nil {
			return
		}
		switch kind {
		case destination.SNS:
			if to != dest || !strings.HasPrefix(to, "arn:") {
				t.Fatalf("SNS %q sends to %q", dest, to)
			}
		case destination.Slack, destination.Webhook:
			u, perr := url.Parse(to)
			if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasSuffix(dest, to) {
				t.Fatalf("%s %q sends to %q, not an http(s) URL with a host taken from it", kind, dest, to)
			}
		default:
			t.Fatalf("Parse(%q) accepted kind %q", dest, kind)
		}
	})
}
