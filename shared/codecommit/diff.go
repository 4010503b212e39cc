package codecommit

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/shipwave/shipwave/shared/release"
)

// DiffClient is the part of the CodeCommit API the differ uses;
// *awscc.Client implements it.
type DiffClient interface {
	GetDifferences(ctx context.Context, in *awscc.GetDifferencesInput, optFns ...func(*awscc.Options)) (*awscc.GetDifferencesOutput, error)
}

var _ DiffClient = (*awscc.Client)(nil)

// DefaultPageSize is how many differences one GetDifferences call asks for
// when Differ.PageSize is zero.
const DefaultPageSize = 400

// Differ lists changed files through CodeCommit.
type Differ struct {
	Client DiffClient
	// PageSize is the MaxResults of each call; zero means DefaultPageSize.
	PageSize int32
}

// ChangedFiles returns the sorted, distinct paths that differ between before
// and after in repository: added, modified and deleted files, and both names
// of a renamed one. An empty before compares against an empty tree, so every
// file of after is listed. A missing repository or commit is
// release.ErrNotFound, a malformed commit id release.ErrInvalid; other
// failures are returned wrapped and are worth a retry.
func (d *Differ) ChangedFiles(ctx context.Context, repository, before, after string) ([]string, error) {
	if repository == "" || after == "" {
		return nil, release.Errorf(release.ErrInvalid, "codecommit differences: repository and after commit are required")
	}
	pageSize := d.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	in := &awscc.GetDifferencesInput{
		RepositoryName:       aws.String(repository),
		AfterCommitSpecifier: aws.String(after),
		MaxResults:           aws.Int32(pageSize),
	}
	if before != "" {
		in.BeforeCommitSpecifier = aws.String(before)
	}
	seen := map[string]bool{}
	pages := awscc.NewGetDifferencesPaginator(d.Client, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, mapError(fmt.Sprintf("codecommit differences of %s %s..%s", repository, before, after), err)
		}
		for _, diff := range out.Differences {
			for _, blob := range []*types.BlobMetadata{diff.BeforeBlob, diff.AfterBlob} {
				if blob != nil && aws.ToString(blob.Path) != "" {
					seen[aws.ToString(blob.Path)] = true
				}
			}
		}
	}
	files := make([]string, 0, len(seen))
	for f := range seen {
		files = append(files, f)
	}
	sort.Strings(files)
	return files, nil
}

func mapError(op string, err error) error {
	var (
		noRepo     *types.RepositoryDoesNotExistException
		noCommit   *types.CommitDoesNotExistException
		badCommit  *types.InvalidCommitIdException
		badCommit2 *types.InvalidCommitException
		badRepo    *types.InvalidRepositoryNameException
	)
	switch {
	case errors.As(err, &noRepo), errors.As(err, &noCommit):
		return release.Errorf(release.ErrNotFound, "%s: %w", op, err)
	case errors.As(err, &badCommit), errors.As(err, &badCommit2), errors.As(err, &badRepo):
		return release.Errorf(release.ErrInvalid, "%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
