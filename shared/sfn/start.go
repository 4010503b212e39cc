package sfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/shipwave/shipwave/shared/release"
)

// MaxNameLength is the longest execution name Step Functions accepts.
const MaxNameLength = 80

// StartClient is the part of the Step Functions API the starter uses;
// *awssfn.Client implements it.
type StartClient interface {
	StartExecution(ctx context.Context, in *awssfn.StartExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.StartExecutionOutput, error)
}

var _ StartClient = (*awssfn.Client)(nil)

// Starter starts the release state machine, one execution per release.
type Starter struct {
	Client          StartClient
	StateMachineARN string
}

// Input is the execution input the release state machine receives.
type Input struct {
	ReleaseID   string          `json:"releaseId"`
	Pipeline    string          `json:"pipeline"`
	SpecVersion int             `json:"specVersion"`
	Version     string          `json:"version"`
	Trigger     release.Trigger `json:"trigger"`
}

// InputOf is the execution input that starts release r; the local engine's
// starter sends the same.
func InputOf(r release.Release) Input {
	return Input{ReleaseID: r.ID, Pipeline: r.Pipeline, SpecVersion: r.SpecVersion, Version: r.Version, Trigger: r.Trigger}
}

// Start starts the execution for r, named ExecutionName(r.ID), and returns its
// ARN. When an execution of that name already exists, Start returns that
// execution's ARN and no error. A release without an ID or pipeline, or a bad
// state machine ARN, is release.ErrInvalid; a missing state machine is
// release.ErrNotFound; other failures are returned wrapped and are worth a
// retry.
func (s *Starter) Start(ctx context.Context, r release.Release) (string, error) {
	if r.ID == "" || r.Pipeline == "" {
		return "", release.Errorf(release.ErrInvalid, "start release %q of pipeline %q: release id and pipeline are required", r.ID, r.Pipeline)
	}
	name, err := ExecutionName(r.ID)
	if err != nil {
		return "", fmt.Errorf("start release %s: %w", r.ID, err)
	}
	existing, err := ExecutionARN(s.StateMachineARN, name)
	if err != nil {
		return "", fmt.Errorf("start release %s: %w", r.ID, err)
	}
	input, err := json.Marshal(InputOf(r))
	if err != nil {
		return "", fmt.Errorf("start release %s: encode input: %w", r.ID, err)
	}
	out, err := s.Client.StartExecution(ctx, &awssfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	if err != nil {
		var exists *types.ExecutionAlreadyExists
		var missing *types.StateMachineDoesNotExist
		var badName *types.InvalidName
		var badInput *types.InvalidExecutionInput
		var badARN *types.InvalidArn
		switch {
		case errors.As(err, &exists):
			return existing, nil
		case errors.As(err, &missing):
			return "", release.Errorf(release.ErrNotFound, "start release %s on %s: %w", r.ID, s.StateMachineARN, err)
		case errors.As(err, &badName), errors.As(err, &badInput), errors.As(err, &badARN):
			return "", release.Errorf(release.ErrInvalid, "start release %s on %s: %w", r.ID, s.StateMachineARN, err)
		}
		return "", fmt.Errorf("start release %s on %s: %w", r.ID, s.StateMachineARN, err)
	}
	if out.ExecutionArn == nil || *out.ExecutionArn == "" {
		return existing, nil
	}
	return *out.ExecutionArn, nil
}

// ExecutionName turns a release ID into a valid, stable execution name: at
// most MaxNameLength characters of ASCII letters, digits, '-' and '_' (the
// set that also keeps CloudWatch Logs happy). Other characters become '-';
// an ID that had to be changed or shortened gets a hash suffix, so distinct
// IDs keep distinct names. An empty ID is release.ErrInvalid.
func ExecutionName(id string) (string, error) {
	if id == "" {
		return "", release.Errorf(release.ErrInvalid, "execution name: release id is empty")
	}
	var b strings.Builder
	changed := false
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
			changed = true
		}
	}
	name := b.String()
	if !changed && len(name) <= MaxNameLength {
		return name, nil
	}
	sum := sha256.Sum256([]byte(id))
	suffix := "-" + hex.EncodeToString(sum[:])[:12]
	if len(name) > MaxNameLength-len(suffix) {
		name = name[:MaxNameLength-len(suffix)]
	}
	return name + suffix, nil
}

// ExecutionARN returns the ARN Step Functions gives an execution named name
// of the state machine stateMachineARN (which may be a version or alias ARN).
func ExecutionARN(stateMachineARN, name string) (string, error) {
	parts := strings.Split(stateMachineARN, ":")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "arn" || parts[2] != "states" || parts[5] != "stateMachine" || parts[6] == "" {
		return "", release.Errorf(release.ErrInvalid, "state machine ARN %q: want arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME", stateMachineARN)
	}
	return strings.Join([]string{"arn", parts[1], "states", parts[3], parts[4], "execution", parts[6], name}, ":"), nil
}
