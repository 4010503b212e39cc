package ssmparam

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/shipwave/shipwave/shared/release"
)

// API is the part of the SSM client the source uses.
type API interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Source reads parameters by name (or ARN).
type Source struct {
	client API
}

// New returns a Source that uses client.
func New(client API) *Source { return &Source{client: client} }

// Secret returns the decrypted value of the parameter name. A missing
// parameter is release.ErrNotFound, an empty one release.ErrInvalid, access
// denied release.ErrUnauthorized.
func (s *Source) Secret(ctx context.Context, name string) ([]byte, error) {
	if name == "" {
		return nil, release.Errorf(release.ErrInvalid, "ssm: parameter name is required")
	}
	out, err := s.client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		var nf *types.ParameterNotFound
		var apiErr interface{ ErrorCode() string }
		switch {
		case errors.As(err, &nf):
			return nil, release.Errorf(release.ErrNotFound, "ssm: parameter %s: %w", name, err)
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException":
			return nil, release.Errorf(release.ErrUnauthorized, "ssm: parameter %s: %w", name, err)
		}
		return nil, fmt.Errorf("ssm: get parameter %s: %w", name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return nil, release.Errorf(release.ErrInvalid, "ssm: parameter %s is empty", name)
	}
	return []byte(aws.ToString(out.Parameter.Value)), nil
}
