package secretsmanager

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/shipwave/shipwave/shared/release"
)

// API is the part of the Secrets Manager client the source uses.
type API interface {
	GetSecretValue(ctx context.Context, in *sm.GetSecretValueInput, optFns ...func(*sm.Options)) (*sm.GetSecretValueOutput, error)
}

// Source reads secrets by name or ARN from Secrets Manager.
type Source struct {
	client API
}

// New returns a Source that uses client.
func New(client API) *Source { return &Source{client: client} }

// Secret returns the AWSCURRENT value of the secret id (a name or ARN):
// SecretString when set, SecretBinary otherwise. A missing secret is
// release.ErrNotFound, one with neither value or an empty value is
// release.ErrInvalid, and access denied is release.ErrUnauthorized.
func (s *Source) Secret(ctx context.Context, id string) ([]byte, error) {
	if id == "" {
		return nil, release.Errorf(release.ErrInvalid, "secrets manager: secret id is required")
	}
	out, err := s.client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		var apiErr interface{ ErrorCode() string }
		switch {
		case errors.As(err, &nf):
			return nil, release.Errorf(release.ErrNotFound, "secrets manager: secret %s: %w", id, err)
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException":
			return nil, release.Errorf(release.ErrUnauthorized, "secrets manager: secret %s: %w", id, err)
		}
		return nil, fmt.Errorf("secrets manager: get secret %s: %w", id, err)
	}
	switch {
	case out.SecretString != nil && *out.SecretString != "":
		return []byte(*out.SecretString), nil
	case len(out.SecretBinary) > 0:
		return out.SecretBinary, nil
	}
	return nil, release.Errorf(release.ErrInvalid, "secrets manager: secret %s has an empty value", id)
}
