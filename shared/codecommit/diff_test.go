package codecommit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/shipwave/shipwave/shared/release"
)

// fakeCodeCommit speaks CodeCommit's AWS JSON 1.1 protocol for
// GetDifferences. Pages are served in order, keyed by the NextToken the
// client sends back; it records every request.
type fakeCodeCommit struct {
	mu       sync.Mutex
	requests []request
	pages    []string          // response bodies; page i is answered to token "" (i=0) or "page-i"
	fail     map[string]string // token → error body, answered with HTTP 400
}

type request struct {
	target, contentType, auth string
	body                      map[string]any
}

func (f *fakeCodeCommit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"SerializationException","message":"bad json"}`)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, request{
		target: r.Header.Get("X-Amz-Target"), contentType: r.Header.Get("Content-Type"),
		auth: r.Header.Get("Authorization"), body: body,
	})
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	token, _ := body["NextToken"].(string)
	if e, ok := f.fail[token]; ok {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, e)
		return
	}
	i := 0
	if token != "" {
		i = int(token[len(token)-1] - '0')
	}
	if i >= len(f.pages) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"InvalidContinuationTokenException","message":"bad token"}`)
		return
	}
	io.WriteString(w, f.pages[i])
}

func newDiffer(t testing.TB, fake *fakeCodeCommit) *Differ {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := awscc.New(awscc.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "SECRET", ""),
		Retryer:      aws.NopRetryer{},
	})
	return &Differ{Client: client, PageSize: 2}
}

const (
	oldCommit = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
	newCommit = "3e5983dec1b1e3ca0dd2ef8c2a61d7bca1d7a0f1"
)

func TestChangedFilesPaginates(t *testing.T) {
	fake := &fakeCodeCommit{pages: []string{
		`{"differences":[
			{"afterBlob":{"blobId":"b1","mode":"100644","path":"src/orders/api.go"},"beforeBlob":{"blobId":"a1","mode":"100644","path":"src/orders/api.go"},"changeType":"M"},
			{"afterBlob":{"blobId":"b2","mode":"100644","path":"src/orders/refund.go"},"changeType":"A"}
		],"NextToken":"page-1"}`,
		`{"differences":[
			{"beforeBlob":{"blobId":"a3","mode":"100644","path":"docs/old.md"},"changeType":"D"},
			{"afterBlob":{"blobId":"b4","mode":"100644","path":"docs/new.md"},"beforeBlob":{"blobId":"a4","mode":"100644","path":"docs/renamed.md"},"changeType":"M"}
		],"NextToken":"page-2"}`,
		`{"differences":[
			{"afterBlob":{"blobId":"b5","mode":"100644","path":"src/orders/api.go"},"beforeBlob":{"blobId":"b1","mode":"100644","path":"src/orders/api.go"},"changeType":"M"}
		]}`,
	}}
	d := newDiffer(t, fake)
	got, err := d.ChangedFiles(context.Background(), "orders-api", oldCommit, newCommit)
	if err != nil {
		t.Fatalf("ChangedFiles: %v", err)
	}
	want := []string{"docs/new.md", "docs/old.md", "docs/renamed.md", "src/orders/api.go", "src/orders/refund.go"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ChangedFiles = %q, want %q", got, want)
	}
	if len(fake.requests) != 3 {
		t.Fatalf("sent %d requests, want 3 (one per page)", len(fake.requests))
	}
	for i, r := range fake.requests {
		if r.target != "CodeCommit_20150413.GetDifferences" {
			t.Errorf("request %d: X-Amz-Target = %q, want CodeCommit_20150413.GetDifferences", i, r.target)
		}
		if r.contentType != "application/x-amz-json-1.1" {
			t.Errorf("request %d: Content-Type = %q, want application/x-amz-json-1.1", i, r.contentType)
		}
		if !strings.Contains(r.auth, "/us-east-1/codecommit/aws4_request") {
			t.Errorf("request %d: Authorization = %q, want SigV4 for codecommit", i, r.auth)
		}
		if r.body["repositoryName"] != "orders-api" || r.body["beforeCommitSpecifier"] != oldCommit || r.body["afterCommitSpecifier"] != newCommit {
			t.Errorf("request %d: body %v, want orders-api %s..%s", i, r.body, oldCommit, newCommit)
		}
		if r.body["MaxResults"] != float64(2) {
			t.Errorf("request %d: MaxResults = %v, want 2", i, r.body["MaxResults"])
		}
		wantToken := map[int]any{0: nil, 1: "page-1", 2: "page-2"}[i]
		if r.body["NextToken"] != wantToken {
			t.Errorf("request %d: NextToken = %v, want %v", i, r.body["NextToken"], wantToken)
		}
	}
}

func TestChangedFilesNewBranchOmitsBefore(t *testing.T) {
	fake := &fakeCodeCommit{pages: []string{`{"differences":[{"afterBlob":{"path":"README.md"},"changeType":"A"}]}`}}
	got, err := newDiffer(t, fake).ChangedFiles(context.Background(), "orders-api", "", newCommit)
	if err != nil || len(got) != 1 || got[0] != "README.md" {
		t.Fatalf("ChangedFiles = %q, %v; want [README.md]", got, err)
	}
	if _, ok := fake.requests[0].body["beforeCommitSpecifier"]; ok {
		t.Errorf("request body %v has beforeCommitSpecifier, want it omitted for a new branch", fake.requests[0].body)
	}
}

func TestChangedFilesErrors(t *testing.T) {
	tests := []struct {
		name     string
		failOn   string
		body     string
		wantKind error
		wantText string
	}{
		{name: "missing commit", body: `{"__type":"CommitDoesNotExistException","message":"no such commit"}`, wantKind: release.ErrNotFound, wantText: "no such commit"},
		{name: "missing repository", body: `{"__type":"RepositoryDoesNotExistException","message":"no repo"}`, wantKind: release.ErrNotFound, wantText: "no repo"},
		{name: "bad commit id", body: `{"__type":"InvalidCommitIdException","message":"bad id"}`, wantKind: release.ErrInvalid, wantText: "bad id"},
		{name: "throttled on the second page", failOn: "page-1", body: `{"__type":"ThrottlingException","message":"Rate exceeded"}`, wantText: "Rate exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeCodeCommit{
				pages: []string{`{"differences":[{"afterBlob":{"path":"a"},"changeType":"A"}],"NextToken":"page-1"}`, `{"differences":[]}`},
				fail:  map[string]string{tt.failOn: tt.body},
			}
			got, err := newDiffer(t, fake).ChangedFiles(context.Background(), "orders-api", oldCommit, newCommit)
			if err == nil {
				t.Fatalf("ChangedFiles = %q, nil; want an error", got)
			}
			if tt.wantKind != nil && !errors.Is(err, tt.wantKind) {
				t.Errorf("error %v is not %v", err, tt.wantKind)
			}
			if tt.wantKind == nil && (errors.Is(err, release.ErrNotFound) || errors.Is(err, release.ErrInvalid)) {
				t.Errorf("error %v has a permanent kind, want a plain retryable error", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), "orders-api") {
				t.Errorf("error = %q, want it to name the repository and %q", err, tt.wantText)
			}
		})
	}
}

func TestChangedFilesRequiresRepositoryAndCommit(t *testing.T) {
	fake := &fakeCodeCommit{}
	d := newDiffer(t, fake)
	for _, args := range [][2]string{{"", newCommit}, {"orders-api", ""}} {
		if _, err := d.ChangedFiles(context.Background(), args[0], oldCommit, args[1]); !errors.Is(err, release.ErrInvalid) {
			t.Errorf("ChangedFiles(%q, %q) error = %v, want ErrInvalid", args[0], args[1], err)
		}
	}
	if len(fake.requests) != 0 {
		t.Errorf("sent %d requests, want none", len(fake.requests))
	}
}
