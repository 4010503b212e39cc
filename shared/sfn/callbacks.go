package sfn

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/shipwave/shipwave/shared/release"
)

// CallbackClient is the part of the Step Functions API the callbacks use;
// *awssfn.Client implements it.
type CallbackClient interface {
	SendTaskSuccess(ctx context.Context, in *awssfn.SendTaskSuccessInput, opts ...func(*awssfn.Options)) (*awssfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *awssfn.SendTaskFailureInput, opts ...func(*awssfn.Options)) (*awssfn.SendTaskFailureOutput, error)
}

// Limits Step Functions puts on SendTaskFailure; longer values are cut
// rather than rejected, so the failure still lands.
const (
	MaxErrorLen = 256
	MaxCauseLen = 32768
)

// TaskEnded means the task of a token is no longer waiting: it timed out
// (TimedOut true) or completed, or the token never existed. It matches
// release.ErrConflict with errors.Is.
type TaskEnded struct {
	// TimedOut is true when Step Functions answered TaskTimedOut.
	TimedOut bool
	// Err is the service's error.
	Err error
}

func (e *TaskEnded) Error() string {
	if e.TimedOut {
		return "task already timed out: " + e.Err.Error()
	}
	return "task no longer exists: " + e.Err.Error()
}

// Unwrap returns the service error and release.ErrConflict.
func (e *TaskEnded) Unwrap() []error { return []error{release.ErrConflict, e.Err} }

// Callbacks sends task results to Step Functions.
type Callbacks struct {
	client CallbackClient
}

// NewCallbacks returns Callbacks using client.
func NewCallbacks(client CallbackClient) *Callbacks { return &Callbacks{client: client} }

// SendTaskSuccess completes the task of token with output (a JSON
// document). It returns *TaskEnded when the task already ended, an
// ErrInvalid-kind error for an empty token or output that is not JSON, and
// otherwise the service error, wrapped.
func (c *Callbacks) SendTaskSuccess(ctx context.Context, token string, output []byte) error {
	if token == "" {
		return release.Errorf(release.ErrInvalid, "send task success: empty task token")
	}
	if len(output) == 0 {
		output = []byte("{}")
	}
	_, err := c.client.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	return classify("send task success", err)
}

// SendTaskFailure fails the task of token with errName and cause, which the
// state machine's Catch sees as Error and Cause. Errors are as for
// SendTaskSuccess.
func (c *Callbacks) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	if token == "" {
		return release.Errorf(release.ErrInvalid, "send task failure %s: empty task token", errName)
	}
	_, err := c.client.SendTaskFailure(ctx, &awssfn.SendTaskFailureInput{
		TaskToken: aws.String(token),
		Error:     aws.String(truncate(errName, MaxErrorLen)),
		Cause:     aws.String(truncate(cause, MaxCauseLen)),
	})
	return classify("send task failure "+errName, err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var timedOut *types.TaskTimedOut
	var missing *types.TaskDoesNotExist
	var invalidToken *types.InvalidToken
	var invalidOutput *types.InvalidOutput
	switch {
	case errors.As(err, &timedOut):
		return fmt.Errorf("%s: %w", op, &TaskEnded{TimedOut: true, Err: err})
	case errors.As(err, &missing):
		return fmt.Errorf("%s: %w", op, &TaskEnded{Err: err})
	case errors.As(err, &invalidToken), errors.As(err, &invalidOutput):
		return fmt.Errorf("%s: %w", op, release.Errorf(release.ErrInvalid, "%w", err))
	}
	return fmt.Errorf("%s: %w", op, err)
}
