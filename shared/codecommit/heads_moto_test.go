package codecommit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/shipwave/shipwave/shared/codecommit"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
)

// TestHeadMoto asks moto for a branch head. moto 5.2.1's CodeCommit knows
// repositories only (Create/Get/DeleteRepository), not branches or
// commits, so Head's cases run against the package's CodeCommit endpoint;
// this test says so as long as moto cannot answer GetBranch.
func TestHeadMoto(t *testing.T) {
	ctx := context.Background()
	cfg := mototest.Config(t)
	cfg.RetryMaxAttempts = 1 // moto answers what it lacks with a 500
	client := awscc.NewFromConfig(cfg)
	// moto answers CreateRepository with its dates as strings where the
	// AWS JSON protocol has epoch seconds, which the SDK refuses; the
	// repository is left missing, which AWS answers with
	// RepositoryDoesNotExistException (release.ErrNotFound).
	repo := mototest.Name(t, 64)
	if _, err := codecommit.NewHeads(client).Head(ctx, repo, "main"); !errors.Is(err, release.ErrNotFound) {
		mototest.Gap(t, fmt.Sprintf("CodeCommit GetBranch: got %v, want RepositoryDoesNotExistException", err))
	}
}
