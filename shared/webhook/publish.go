package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/shipwave/shipwave/shared/triggers"
)

// PutEventsAPI is the part of the EventBridge client EventBridge uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// MaxEntryBytes is the largest PutEvents entry EventBridge accepts: 256 KB,
// counted as its documentation counts it (Source, DetailType, Detail and
// each resource, in UTF-8 bytes).
const MaxEntryBytes = 256 * 1024

// entryMargin is kept free below MaxEntryBytes by default, so an entry
// stays accepted even if the service counts a little more than documented.
const entryMargin = 1024

// EventBridge publishes pushes as "Git Push" events (source
// shipwave.webhook) on an event bus, where a rule sends them to the push
// trigger.
type EventBridge struct {
	Client PutEventsAPI
	// Bus is the event bus name or ARN; empty means the default bus.
	Bus string
	// MaxEntryBytes bounds an entry's size; zero means MaxEntryBytes less
	// a margin of 1 KiB.
	MaxEntryBytes int
}

// Publish puts one event; a failed entry is an error naming its code. A push
// whose entry would exceed the size limit (every redelivery would be
// refused the same way) is trimmed first: it keeps as many of its listed
// files as fit, in order, then as many of its newest commits, and is marked
// FilesIncomplete, so path filters that none of the kept files matches let
// it release rather than rule it out.
func (e EventBridge) Publish(ctx context.Context, p triggers.GitPush) error {
	limit := e.MaxEntryBytes
	if limit <= 0 {
		limit = MaxEntryBytes - entryMargin
	}
	detail, err := fit(p, limit-len(triggers.SourceWebhook)-len(triggers.DetailTypeGitPush))
	if err != nil {
		return fmt.Errorf("publish push %s: %w", p.DeliveryID, err)
	}
	entry := ebtypes.PutEventsRequestEntry{
		Source:     aws.String(triggers.SourceWebhook),
		DetailType: aws.String(triggers.DetailTypeGitPush),
		Detail:     aws.String(string(detail)),
		Resources:  []string{},
	}
	if e.Bus != "" {
		entry.EventBusName = aws.String(e.Bus)
	}
	out, err := e.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return fmt.Errorf("publish push %s: %w", p.DeliveryID, err)
	}
	if out.FailedEntryCount > 0 {
		code, msg := "", ""
		if len(out.Entries) > 0 {
			code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		return fmt.Errorf("publish push %s: event rejected: %s: %s", p.DeliveryID, code, msg)
	}
	return nil
}

// fit returns p's detail within max bytes, trimming its file lists and then
// its oldest commits when the whole push does not fit.
func fit(p triggers.GitPush, max int) ([]byte, error) {
	detail, err := json.Marshal(p)
	if err != nil || len(detail) <= max {
		return detail, err
	}
	total := 0
	for _, c := range p.Commits {
		total += len(c.Added) + len(c.Modified) + len(c.Removed)
	}
	encode := func(files, commits int) []byte {
		q := p
		q.FilesIncomplete = true
		q.Commits = keepFiles(p.Commits, files)
		q.Commits = q.Commits[len(q.Commits)-commits:]
		b, _ := json.Marshal(q) // p encoded above; a subset encodes too
		return b
	}
	n := len(p.Commits)
	if b := encode(0, n); len(b) <= max {
		// The most files that fit: encode(k, n) grows with k.
		lo, hi := 0, total // encode(lo, n) fits, encode(hi+1, n) does not
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if len(encode(mid, n)) <= max {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return encode(lo, n), nil
	}
	lo, hi := 0, n // the most newest commits that fit, without files
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if len(encode(0, mid)) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if b := encode(0, lo); len(b) <= max {
		return b, nil
	}
	return nil, fmt.Errorf("event of %d bytes exceeds EventBridge's limit of %d even without commits", len(encode(0, 0)), max)
}

// keepFiles copies commits keeping only the first n files of them, in
// order: each commit's added, then modified, then removed files.
func keepFiles(commits []triggers.GitCommit, n int) []triggers.GitCommit {
	out := make([]triggers.GitCommit, len(commits))
	take := func(files []string) []string {
		k := min(n, len(files))
		n -= k
		if k == 0 {
			return nil
		}
		return files[:k]
	}
	for i, c := range commits {
		out[i] = triggers.GitCommit{ID: c.ID, Added: take(c.Added), Modified: take(c.Modified), Removed: take(c.Removed)}
	}
	return out
}

// EventHandler handles an EventBridge event in-process, as the push
// trigger's triggers.Handler.Handle does.
type EventHandler interface {
	Handle(ctx context.Context, ev events.CloudWatchEvent) (triggers.Result, error)
}

// Direct hands pushes straight to the push trigger in-process, wrapped in
// the event EventBridge would deliver; local mode uses it. Now defaults to
// time.Now.
type Direct struct {
	Trigger EventHandler
	Now     func() time.Time
}

// Publish calls the trigger and returns its error.
func (d Direct) Publish(ctx context.Context, p triggers.GitPush) error {
	detail, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("publish push %s: encode: %w", p.DeliveryID, err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ev := events.CloudWatchEvent{
		Version: "0", ID: "webhook-" + p.Provider + "-" + p.DeliveryID, DetailType: triggers.DetailTypeGitPush,
		Source: triggers.SourceWebhook, Time: now().UTC(), Region: "local", Resources: []string{}, Detail: detail,
	}
	if _, err := d.Trigger.Handle(ctx, ev); err != nil {
		return fmt.Errorf("publish push %s: %w", p.DeliveryID, err)
	}
	return nil
}
