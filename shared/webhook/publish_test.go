package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/triggers"
	"github.com/shipwave/shipwave/shared/webhook"
)

// busBackend is one EventBridge implementation with a fresh bus; published
// returns the details of the Git Push events the bus accepted.
type busBackend struct {
	name string
	// enforcesSize is false where the implementation does not refuse
	// entries over 256 KB.
	enforcesSize bool
	new          func(t *testing.T) (pub webhook.PutEventsAPI, client *eventbridge.Client, bus string, published func(t *testing.T, n int) []string)
}

var busBackends = []busBackend{
	{name: "awsfake", enforcesSize: true, new: func(t *testing.T) (webhook.PutEventsAPI, *eventbridge.Client, string, func(*testing.T, int) []string) {
		fake := awsfake.NewEventBridge(t)
		fake.AddBus("shipwave-events")
		client := eventbridge.NewFromConfig(awsfake.Config(fake.URL()))
		return client, client, "shipwave-events", func(t *testing.T, n int) []string {
			var out []string
			for _, e := range fake.Entries() {
				out = append(out, e["Detail"].(string))
			}
			if len(out) != n {
				t.Fatalf("bus holds %d events, want %d", len(out), n)
			}
			return out
		}
	}},
	// moto 5.2.1 does not refuse entries over 256 KB (AWS does): the
	// size limit is checked against awsfake only.
	{name: "moto", enforcesSize: false, new: func(t *testing.T) (webhook.PutEventsAPI, *eventbridge.Client, string, func(*testing.T, int) []string) {
		ctx := context.Background()
		client := eventbridge.NewFromConfig(mototest.Config(t))
		bus := mototest.Name(t, 64)
		if _, err := client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
			t.Fatalf("CreateEventBus: %v", err)
		}
		// moto's TestEventPattern is a stub (5.2.1 always answers false),
		// so which rule the published events match is checked by
		// shared/rules and tests/template, not here.
		rec := &recordingBus{client: client}
		return rec, client, bus, func(t *testing.T, n int) []string {
			var out []string
			for _, e := range rec.accepted() {
				out = append(out, aws.ToString(e.Detail))
			}
			if len(out) != n {
				t.Fatalf("moto accepted %d events, want %d", len(out), n)
			}
			return out
		}
	}},
}

// recordingBus forwards PutEvents and keeps the entries the service
// accepted.
type recordingBus struct {
	client  *eventbridge.Client
	mu      sync.Mutex
	entries []ebtypes.PutEventsRequestEntry
}

func (r *recordingBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out, err := r.client.PutEvents(ctx, in, optFns...)
	if err == nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, e := range in.Entries {
			if i < len(out.Entries) && out.Entries[i].ErrorCode == nil {
				r.entries = append(r.entries, e)
			}
		}
	}
	return out, err
}

func (r *recordingBus) accepted() []ebtypes.PutEventsRequestEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ebtypes.PutEventsRequestEntry(nil), r.entries...)
}

// bigPush is a push whose file lists alone exceed EventBridge's limit.
func bigPush() triggers.GitPush {
	p := triggers.GitPush{Provider: "github", DeliveryID: "d-big", Repository: "acme/orders", Ref: "refs/heads/main",
		Before: strings.Repeat("1", 40), After: strings.Repeat("2", 40), HeadCommitTimestamp: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)}
	for c := range 3 {
		commit := triggers.GitCommit{ID: strings.Repeat(fmt.Sprint(c+3), 40)}
		for i := range 2000 {
			commit.Modified = append(commit.Modified, fmt.Sprintf("docs/generated/%02d/reference-page-%05d.md", c, i))
		}
		p.Commits = append(p.Commits, commit)
	}
	return p
}

func TestEventBridgePublishContract(t *testing.T) {
	ctx := context.Background()
	for _, b := range busBackends {
		t.Run(b.name, func(t *testing.T) {
			api, client, bus, published := b.new(t)
			pub := webhook.EventBridge{Client: api, Bus: bus}
			small, err := webhook.ParseGitHubPush("d-1", payload(t, "github-push.json"))
			if err != nil {
				t.Fatal(err)
			}
			big := bigPush()
			if whole, _ := json.Marshal(big); len(whole) <= webhook.MaxEntryBytes {
				t.Fatalf("bigPush is only %d bytes", len(whole))
			}
			for _, p := range []triggers.GitPush{small, big} {
				if err := pub.Publish(ctx, p); err != nil {
					t.Fatalf("Publish %s: %v", p.DeliveryID, err)
				}
			}
			details := published(t, 2)
			for _, d := range details {
				var back triggers.GitPush
				if err := json.Unmarshal([]byte(d), &back); err != nil {
					t.Fatal(err)
				}
				push, err := triggers.Normalize(events.CloudWatchEvent{Source: triggers.SourceWebhook, DetailType: triggers.DetailTypeGitPush, Detail: json.RawMessage(d)}, time.Now())
				if err != nil {
					t.Fatalf("the trigger refuses the published detail: %v", err)
				}
				size := len(triggers.SourceWebhook) + len(triggers.DetailTypeGitPush) + len(d)
				switch back.DeliveryID {
				case "d-1":
					if back.FilesIncomplete || push.FilesIncomplete || !push.FilesKnown || back.After != small.After {
						t.Errorf("small push: incomplete %v, known %v, after %s; want complete, as sent", back.FilesIncomplete, push.FilesKnown, back.After)
					}
				case "d-big":
					kept := 0
					for _, c := range back.Commits {
						kept += len(c.Modified)
					}
					if !back.FilesIncomplete || !push.FilesIncomplete || push.FilesKnown || size > webhook.MaxEntryBytes || kept == 0 || len(back.Commits) != 3 {
						t.Errorf("big push: incomplete %v (trigger %v, known %v), %d bytes, %d files in %d commits kept; want incomplete, within %d bytes, some files, every commit",
							back.FilesIncomplete, push.FilesIncomplete, push.FilesKnown, size, kept, len(back.Commits), webhook.MaxEntryBytes)
					}
					if back.Commits[0].Modified[0] != big.Commits[0].Modified[0] {
						t.Errorf("kept files are not the first ones listed: %s", back.Commits[0].Modified[0])
					}
				default:
					t.Errorf("unexpected event %s", back.DeliveryID)
				}
			}

			// The whole big push in one entry is what AWS refuses.
			whole, _ := json.Marshal(big)
			_, err = client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
				Source: aws.String(triggers.SourceWebhook), DetailType: aws.String(triggers.DetailTypeGitPush), Detail: aws.String(string(whole)), EventBusName: aws.String(bus)}}})
			var apiErr smithy.APIError
			if !b.enforcesSize {
				mototest.Gap(t, "moto 5.2.1 accepts PutEvents entries over 256 KB; AWS refuses them with ValidationException")
			}
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
				t.Errorf("PutEvents of the untrimmed push: err = %v, want ValidationException", err)
			}
		})
	}
}

func TestPublishTrimsOldestCommitsLast(t *testing.T) {
	fake := awsfake.NewEventBridge(t)
	pub := webhook.EventBridge{Client: eventbridge.NewFromConfig(awsfake.Config(fake.URL())), MaxEntryBytes: 2000}
	p := triggers.GitPush{Provider: "github", DeliveryID: "d-many", Repository: "acme/orders", Ref: "refs/heads/main",
		Before: strings.Repeat("1", 40), After: strings.Repeat("2", 40)}
	for i := range 100 {
		p.Commits = append(p.Commits, triggers.GitCommit{ID: fmt.Sprintf("%040d", i), Added: []string{"src/a.go"}})
	}
	if err := pub.Publish(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	var back triggers.GitPush
	entries := fake.Entries()
	if len(entries) != 1 || json.Unmarshal([]byte(entries[0]["Detail"].(string)), &back) != nil {
		t.Fatalf("entries = %v", entries)
	}
	n := len(back.Commits)
	if !back.FilesIncomplete || n == 0 || n == 100 || back.Commits[n-1].ID != p.Commits[99].ID || awsfake.EntrySize(entries[0]) > 2000 {
		t.Errorf("got %d commits (last %s), incomplete %v, %d bytes; want the newest commits within 2000 bytes", n, back.Commits[n-1].ID, back.FilesIncomplete, awsfake.EntrySize(entries[0]))
	}
	for _, c := range back.Commits {
		if len(c.Added) != 0 {
			t.Errorf("commit %s keeps files although commits were dropped", c.ID)
		}
	}
	tiny := webhook.EventBridge{Client: pub.Client, MaxEntryBytes: 100}
	if err := tiny.Publish(context.Background(), p); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Publish within 100 bytes = %v, want an error about the limit", err)
	}
}

// TestGitLabTruncatedPushIsIncomplete: a GitLab payload listing fewer
// commits than it counts yields a GitPush marked FilesIncomplete.
func TestGitLabTruncatedPushIsIncomplete(t *testing.T) {
	var body map[string]any
	if err := json.Unmarshal(payload(t, "gitlab-push.json"), &body); err != nil {
		t.Fatal(err)
	}
	for _, total := range []int{0, 50} {
		listed := len(body["commits"].([]any))
		if total > 0 {
			body["total_commits_count"] = total
		} else {
			body["total_commits_count"] = listed
		}
		raw, _ := json.Marshal(body)
		g, truncated, err := webhook.ParseGitLabPush("d-1", raw)
		if err != nil {
			t.Fatal(err)
		}
		if want := total > listed; truncated != want || g.FilesIncomplete != want {
			t.Errorf("total %d of %d listed: truncated %v, FilesIncomplete %v; want %v", total, listed, truncated, g.FilesIncomplete, want)
		}
	}
}
