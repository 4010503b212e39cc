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
	return s.stage(ctx, id, "")
}

// Stages are the version stages SecretVersions reads, in order.
var Stages = []string{"AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"}

// SecretVersions returns the values of the secret's AWSCURRENT,
// AWSPENDING and AWSPREVIOUS versions, in that order, skipping stages the
// secret does not have (outside a rotation only AWSCURRENT, and
// AWSPREVIOUS after one). A missing secret or AWSCURRENT is an error as
// for Secret.
func (s *Source) SecretVersions(ctx context.Context, id string) ([][]byte, error) {
	var out [][]byte
	for i, st := range Stages {
		v, err := s.stage(ctx, id, st)
		if err != nil {
			if i > 0 && errors.Is(err, release.ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// stage reads one version stage ("" is AWSCURRENT, the default).
func (s *Source) stage(ctx context.Context, id, stage string) ([]byte, error) {
	if id == "" {
		return nil, release.Errorf(release.ErrInvalid, "secrets manager: secret id is required")
	}
	in := &sm.GetSecretValueInput{SecretId: aws.String(id)}
	if stage != "" {
		in.VersionStage = aws.String(stage)
	}
	out, err := s.client.GetSecretValue(ctx, in)
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
