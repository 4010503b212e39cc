package codecommit

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/shipwave/shipwave/shared/release"
)

// HeadsClient is the part of the CodeCommit API Heads uses;
// *awscc.Client implements it.
type HeadsClient interface {
	GetBranch(ctx context.Context, in *awscc.GetBranchInput, optFns ...func(*awscc.Options)) (*awscc.GetBranchOutput, error)
}

// Heads reads branch heads from CodeCommit.
type Heads struct {
	client HeadsClient
}

// NewHeads returns Heads that use client.
func NewHeads(client HeadsClient) *Heads { return &Heads{client: client} }

// Head returns the commit branch of repository points at. A repository or
// branch CodeCommit does not have (such as a GitHub repository) is
// release.ErrNotFound, so the scheduler falls back to the pipeline's own
// release history.
func (h *Heads) Head(ctx context.Context, repository, branch string) (string, error) {
	out, err := h.client.GetBranch(ctx, &awscc.GetBranchInput{RepositoryName: aws.String(repository), BranchName: aws.String(branch)})
	if err != nil {
		var noRepo *types.RepositoryDoesNotExistException
		var noBranch *types.BranchDoesNotExistException
		var badName *types.InvalidRepositoryNameException
		if errors.As(err, &noRepo) || errors.As(err, &noBranch) || errors.As(err, &badName) {
			return "", release.Errorf(release.ErrNotFound, "codecommit %s %s: %w", repository, branch, err)
		}
		return "", fmt.Errorf("codecommit get branch %s of %s: %w", branch, repository, err)
	}
	if out.Branch == nil || aws.ToString(out.Branch.CommitId) == "" {
		return "", release.Errorf(release.ErrNotFound, "codecommit %s %s: branch has no commit", repository, branch)
	}
	return aws.ToString(out.Branch.CommitId), nil
}
