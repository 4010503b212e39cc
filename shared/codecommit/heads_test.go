package codecommit_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/codecommit"
	"github.com/shipwave/shipwave/shared/release"
)

// codeCommit answers GetBranch (AWS JSON 1.1) for repo "orders".
type codeCommit struct{}

func (codeCommit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var in struct{ RepositoryName, BranchName string }
	json.Unmarshal(raw, &in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch {
	case r.Header.Get("X-Amz-Target") != "CodeCommit_20150413.GetBranch":
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnknownOperationException"}`)
	case in.RepositoryName != "orders":
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"RepositoryDoesNotExistException","message":"no such repository"}`)
	case in.BranchName != "main":
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"BranchDoesNotExistException","message":"no such branch"}`)
	default:
		io.WriteString(w, `{"branch":{"branchName":"main","commitId":"59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5"}}`)
	}
}

func TestHead(t *testing.T) {
	srv := httptest.NewServer(codeCommit{})
	t.Cleanup(srv.Close)
	h := codecommit.NewHeads(awscc.NewFromConfig(awsfake.Config(srv.URL)))
	tests := []struct {
		repo, branch, want string
		err                error
	}{
		{repo: "orders", branch: "main", want: "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5"},
		{repo: "acme/orders-api", branch: "main", err: release.ErrNotFound},
		{repo: "orders", branch: "dev", err: release.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.repo+"/"+tt.branch, func(t *testing.T) {
			got, err := h.Head(context.Background(), tt.repo, tt.branch)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
