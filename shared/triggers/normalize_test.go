package triggers

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
)

const eventsDir = "../../events"

var testNow = time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)

// loadEvent reads a sample event from events/ the way the Lambda runtime
// would decode it.
func loadEvent(t testing.TB, name string) events.CloudWatchEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatalf("read sample event: %v", err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("decode sample event %s: %v", name, err)
	}
	return ev
}

// pushSamples lists the push trigger's sample events in dir (events/ holds
// other sources' samples too): codecommit-*, webhook-* and push-*.
func pushSamples(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"codecommit-*.json", "webhook-*.json", "push-*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no push sample events in %s", dir)
	}
	return files
}

// TestNormalizeSamples normalizes every positive push sample in events/ and
// compares the result with testdata/normalize/<name>.golden.
func TestNormalizeSamples(t *testing.T) {
	samples := pushSamples(t, eventsDir)
	if len(samples) < 5 {
		t.Fatalf("found %d sample events, want at least 5", len(samples))
	}
	for _, path := range samples {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			p, err := Normalize(loadEvent(t, name), testNow)
			if err != nil {
				t.Fatalf("Normalize(%s): %v", name, err)
			}
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", "normalize", strings.TrimSuffix(name, ".json")+".golden"), got)
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name        string
		file        string
		edit        func(ev *events.CloudWatchEvent, d map[string]any)
		wantKey     string
		wantBranch  string
		wantTag     string
		wantBefore  string
		wantIgnored string
		wantFiles   []string
		wantTime    time.Time
	}{
		{
			name:       "codecommit branch update",
			file:       "codecommit-push.json",
			wantKey:    "push:codecommit:orders-api:refs/heads/main:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b:3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1",
			wantBranch: "main", wantBefore: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
			wantTime: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC),
		},
		{
			name: "codecommit upper-case commit ids are lowered",
			file: "codecommit-push.json",
			edit: func(_ *events.CloudWatchEvent, d map[string]any) {
				d["commitId"] = strings.ToUpper(d["commitId"].(string))
			},
			wantKey:    "push:codecommit:orders-api:refs/heads/main:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b:3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1",
			wantBranch: "main", wantBefore: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
			wantTime: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC),
		},
		{
			name:    "codecommit tag created",
			file:    "codecommit-tag.json",
			wantKey: "push:codecommit:orders-api:refs/tags/v1.4.0:0:3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1",
			wantTag: "v1.4.0", wantTime: time.Date(2026, 11, 22, 6, 5, 0, 0, time.UTC),
		},
		{
			name: "codecommit branch created without old commit",
			file: "codecommit-push.json",
			edit: func(_ *events.CloudWatchEvent, d map[string]any) {
				d["event"] = "referenceCreated"
				delete(d, "oldCommitId")
			},
			wantKey:    "push:codecommit:orders-api:refs/heads/main:0:3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1",
			wantBranch: "main", wantTime: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC),
		},
		{
			name:        "codecommit branch deleted is ignored",
			file:        "codecommit-delete.json",
			wantIgnored: "branch feature/old-checkout was deleted", wantBranch: "feature/old-checkout",
			wantTime: time.Date(2026, 11, 22, 6, 10, 0, 0, time.UTC),
		},
		{
			name:       "github push",
			file:       "webhook-github-push.json",
			wantKey:    "push:github:acme/orders-api:refs/heads/main:6113728f27ae82c7b1a177c8d03f9e96e0adf246:59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
			wantBranch: "main", wantBefore: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
			wantFiles: []string{"README.md", "docs/old.md", "src/orders/handler.go", "src/orders/refund.go"},
			wantTime:  time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC),
		},
		{
			name: "github new branch has zero before",
			file: "webhook-github-push.json",
			edit: func(_ *events.CloudWatchEvent, d map[string]any) {
				d["before"] = strings.Repeat("0", 40)
			},
			wantKey:    "push:github:acme/orders-api:refs/heads/main:0:59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
			wantBranch: "main",
			wantFiles:  []string{"README.md", "docs/old.md", "src/orders/handler.go", "src/orders/refund.go"},
			wantTime:   time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC),
		},
		{
			name: "github branch deleted is ignored",
			file: "webhook-github-push.json",
			edit: func(_ *events.CloudWatchEvent, d map[string]any) {
				d["after"] = strings.Repeat("0", 40)
				d["commits"] = []any{}
			},
			wantIgnored: "ref refs/heads/main was deleted", wantBranch: "main",
			wantTime: time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC),
		},
		{
			name: "github notes ref is ignored",
			file: "webhook-github-push.json",
			edit: func(_ *events.CloudWatchEvent, d map[string]any) {
				d["ref"] = "refs/notes/commits"
			},
			wantIgnored: "ref refs/notes/commits is neither a branch nor a tag",
			wantTime:    time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC),
		},
		{
			name:       "gitlab push",
			file:       "webhook-gitlab-push.json",
			wantKey:    "push:gitlab:acme/platform/orders-api:refs/heads/release/2026.11:95790bf891e76fee5e1747ab589903a6a1f80f22:da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			wantBranch: "release/2026.11", wantBefore: "95790bf891e76fee5e1747ab589903a6a1f80f22",
			wantFiles: []string{"deploy/values.yaml", "src/orders/api.go"},
			wantTime:  time.Date(2026, 11, 22, 6, 20, 0, 0, time.UTC),
		},
		{
			name: "missing event time falls back to now",
			file: "webhook-gitlab-push.json",
			edit: func(ev *events.CloudWatchEvent, _ map[string]any) {
				ev.Time = time.Time{}
			},
			wantKey:    "push:gitlab:acme/platform/orders-api:refs/heads/release/2026.11:95790bf891e76fee5e1747ab589903a6a1f80f22:da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			wantBranch: "release/2026.11", wantBefore: "95790bf891e76fee5e1747ab589903a6a1f80f22",
			wantFiles: []string{"deploy/values.yaml", "src/orders/api.go"},
			wantTime:  testNow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, tt.file)
			if tt.edit != nil {
				ev = editDetail(t, ev, tt.edit)
			}
			p, err := Normalize(ev, testNow)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			tr := p.Trigger
			if p.Ignored != tt.wantIgnored {
				t.Errorf("Ignored = %q, want %q", p.Ignored, tt.wantIgnored)
			}
			if tr.Key != tt.wantKey {
				t.Errorf("Key = %q, want %q", tr.Key, tt.wantKey)
			}
			if tr.Branch != tt.wantBranch || tr.Tag != tt.wantTag {
				t.Errorf("Branch, Tag = %q, %q; want %q, %q", tr.Branch, tr.Tag, tt.wantBranch, tt.wantTag)
			}
			if p.Before != tt.wantBefore {
				t.Errorf("Before = %q, want %q", p.Before, tt.wantBefore)
			}
			if strings.Join(tr.ChangedFiles, ",") != strings.Join(tt.wantFiles, ",") {
				t.Errorf("ChangedFiles = %q, want %q", tr.ChangedFiles, tt.wantFiles)
			}
			if !tr.Time.Equal(tt.wantTime) {
				t.Errorf("Time = %s, want %s", tr.Time, tt.wantTime)
			}
			if tt.wantIgnored == "" && (tr.Kind != release.TriggerPush || tr.Commit == "" || !strings.HasPrefix(tr.Ref, "refs/")) {
				t.Errorf("trigger %+v: want kind push with a commit and a full ref", tr)
			}
		})
	}
}

// TestNormalizeNegativeSamples checks that every sample in events/negative
// is rejected as invalid, with an error naming what is wrong.
func TestNormalizeNegativeSamples(t *testing.T) {
	want := map[string]string{
		"push-unknown-source.json":                  `unknown event: source "aws.s3" with detail-type "Object Created"`,
		"codecommit-unknown-detail-type.json":       `detail-type "CodeCommit Pull Request State Change"`,
		"codecommit-missing-repository.json":        "detail.repositoryName: required",
		"codecommit-bad-commit.json":                `detail.commitId: want a 40 or 64 digit hex commit id, got "HEAD"`,
		"codecommit-unknown-reference-type.json":    `detail.referenceType: want branch or tag, got "note"`,
		"codecommit-update-without-old-commit.json": "detail.oldCommitId: required for referenceUpdated",
		"codecommit-unknown-event.json":             `detail.event: want referenceCreated, referenceUpdated or referenceDeleted, got "referenceRenamed"`,
		"webhook-unknown-provider.json":             `detail.provider: want "github" or "gitlab", got "bitbucket"`,
		"webhook-bad-timestamp.json":                `detail.headCommitTimestamp: want an RFC 3339 time, got "yesterday"`,
		"webhook-commits-not-array.json":            "detail.commits: want []triggers.GitCommit, got JSON string",
		"webhook-short-ref.json":                    `detail.ref: want a full ref such as refs/heads/main, got "main"`,
		"webhook-bad-commit-id.json":                `detail.commits[1].id: want a 40 or 64 digit hex commit id, got "not-a-sha"`,
		"webhook-missing-detail.json":               "detail: missing",
		"webhook-detail-not-object.json":            "detail: want a JSON object",
	}
	files := pushSamples(t, filepath.Join(eventsDir, "negative"))
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			msg, ok := want[name]
			if !ok {
				t.Fatalf("negative sample %s has no expected error in this test", name)
			}
			ev := loadEvent(t, filepath.Join("negative", name))
			p, err := Normalize(ev, testNow)
			if err == nil {
				t.Fatalf("Normalize = %+v, nil; want an error", p)
			}
			if !errors.Is(err, release.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), ev.ID) {
				t.Errorf("error = %q, want it to contain %q and the event id", err, msg)
			}
		})
	}
	if len(files) != len(want) {
		t.Errorf("found %d negative samples, the test expects %d", len(files), len(want))
	}
}

func TestGitPushRoundTrip(t *testing.T) {
	g := GitPush{
		Provider: ProviderGitHub, DeliveryID: "d1", Repository: "acme/app", Ref: "refs/tags/v2",
		After:               strings.Repeat("ab", 20),
		HeadCommitTimestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	if err := g.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	detail, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Normalize(events.CloudWatchEvent{ID: "e1", Source: SourceWebhook, DetailType: DetailTypeGitPush, Detail: detail}, testNow)
	if err != nil {
		t.Fatalf("Normalize of a marshalled GitPush: %v", err)
	}
	if p.Trigger.Tag != "v2" || p.Trigger.Commit != g.After {
		t.Errorf("trigger = %+v, want tag v2 at %s", p.Trigger, g.After)
	}
}

// editDetail applies edit to a decoded copy of the event's detail.
func editDetail(t testing.TB, ev events.CloudWatchEvent, edit func(*events.CloudWatchEvent, map[string]any)) events.CloudWatchEvent {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatalf("decode detail: %v", err)
	}
	edit(&ev, d)
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("encode detail: %v", err)
	}
	ev.Detail = raw
	return ev
}

// FuzzNormalize feeds whole EventBridge events (seeded from events/) to the
// normalizer: it must never panic, must reject with ErrInvalid, and anything
// it accepts must be a complete, stable trigger.
func FuzzNormalize(f *testing.F) {
	for _, dir := range []string{eventsDir, filepath.Join(eventsDir, "negative")} {
		for _, file := range pushSamples(f, dir) {
			raw, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev events.CloudWatchEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return
		}
		p, err := Normalize(ev, testNow)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		tr := p.Trigger
		if tr.Kind != release.TriggerPush || tr.Repository == "" || !strings.HasPrefix(tr.Ref, "refs/") || tr.Time.IsZero() {
			t.Fatalf("accepted an incomplete trigger: %+v", tr)
		}
		if p.Ignored != "" {
			return
		}
		if tr.Key == "" || !isCommitID(tr.Commit) || (tr.Branch == "") == (tr.Tag == "") {
			t.Fatalf("accepted an incomplete trigger: %+v", tr)
		}
		again, err := Normalize(ev, testNow.Add(time.Hour))
		if err != nil || again.Trigger.Key != tr.Key {
			t.Fatalf("second Normalize = %q, %v; want the same key %q", again.Trigger.Key, err, tr.Key)
		}
	})
}

func TestNormalizeLongNames(t *testing.T) {
	long := strings.Repeat("b", 240)
	tests := []struct {
		name    string
		file    string
		edit    func(d map[string]any)
		wantErr string
		wantKey string // prefix, when accepted
	}{
		{name: "long ref gets a hashed key", file: "webhook-github-push.json",
			edit:    func(d map[string]any) { d["ref"] = "refs/heads/" + long },
			wantKey: "push:github:sha256:"},
		{name: "ref too long", file: "webhook-github-push.json",
			edit:    func(d map[string]any) { d["ref"] = "refs/heads/" + long + long },
			wantErr: "detail.ref: longer than 256 bytes"},
		{name: "repository too long", file: "webhook-gitlab-push.json",
			edit:    func(d map[string]any) { d["repository"] = long + long },
			wantErr: "detail.repository: longer than 256 bytes"},
		{name: "codecommit reference too long", file: "codecommit-push.json",
			edit: func(d map[string]any) {
				d["referenceName"] = long + long
				d["referenceFullName"] = "refs/heads/" + long + long
			},
			wantErr: "detail.referenceName: longer than 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := editDetail(t, loadEvent(t, tt.file), func(_ *events.CloudWatchEvent, d map[string]any) { tt.edit(d) })
			p, err := Normalize(ev, testNow)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Normalize error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if !strings.HasPrefix(p.Trigger.Key, tt.wantKey) || len(p.Trigger.Key) > maxKeyLength {
				t.Errorf("Key = %q, want prefix %q and at most %d bytes", p.Trigger.Key, tt.wantKey, maxKeyLength)
			}
			again, _ := Normalize(ev, testNow)
			if again.Trigger.Key != p.Trigger.Key {
				t.Errorf("hashed key not stable: %q then %q", p.Trigger.Key, again.Trigger.Key)
			}
		})
	}
}
