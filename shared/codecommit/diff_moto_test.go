package codecommit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// TestChangedFilesMoto asks moto for a diff. moto 5.2.1's CodeCommit has
// no commits and no GetDifferences, so the differ's cases run against the
// package's CodeCommit endpoint; this test says so as long as moto cannot
// answer.
func TestChangedFilesMoto(t *testing.T) {
	ctx := context.Background()
	cfg := mototest.Config(t)
	cfg.RetryMaxAttempts = 1 // moto answers what it lacks with a 500
	client := awscc.NewFromConfig(cfg)
	// moto answers CreateRepository with its dates as strings where the
	// AWS JSON protocol has epoch seconds, which the SDK refuses; the
	// repository is left missing, which AWS answers with
	// RepositoryDoesNotExistException (release.ErrNotFound).
	repo := mototest.Name(t, 64)
	if _, err := (&Differ{Client: client}).ChangedFiles(ctx, repo, "", strings.Repeat("a", 40)); !errors.Is(err, release.ErrNotFound) {
		mototest.Gap(t, fmt.Sprintf("CodeCommit GetDifferences: got %v, want RepositoryDoesNotExistException", err))
	}
}
