package sfncallbacks

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/shipwave/shipwave/shared/release"
)

// API is the part of the Step Functions client the callbacks use.
type API interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// Callbacks sends task results to Step Functions.
type Callbacks struct {
	client API
}

// New returns Callbacks that use client.
func New(client API) *Callbacks { return &Callbacks{client: client} }

// SendTaskSuccess completes the task with output (JSON). A task that
// already ended (TaskTimedOut, TaskDoesNotExist) is release.ErrExpired.
func (c *Callbacks) SendTaskSuccess(ctx context.Context, token string, output []byte) error {
	if len(output) == 0 {
		output = []byte("{}")
	}
	_, err := c.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	return wrap("send task success", err)
}

// SendTaskFailure fails the task with errName and cause (cut to Step
// Functions' 256 and 32768 character limits). Errors as SendTaskSuccess.
func (c *Callbacks) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	if len(errName) > 256 {
		errName = errName[:256]
	}
	if len(cause) > 32768 {
		cause = cause[:32768]
	}
	_, err := c.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String(errName), Cause: aws.String(cause)})
	return wrap("send task failure", err)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var timedOut *sfntypes.TaskTimedOut
	var gone *sfntypes.TaskDoesNotExist
	if errors.As(err, &timedOut) || errors.As(err, &gone) {
		return release.Errorf(release.ErrExpired, "%s: the task already ended: %w", op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
