// Command trigger is the Lambda function behind the git-push trigger: it
// receives CodeCommit "Repository State Change" and Shipwave "Git Push"
// events from EventBridge, creates releases and starts the release state
// machine.
//
// Environment: TABLE_NAME (the Shipwave DynamoDB table), STATE_MACHINE_ARN
// (the release state machine) and EVENT_ACCOUNT (the function's own account
// id: events of any other account are refused).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"

	"github.com/aws/aws-lambda-go/events"
	awscc "github.com/aws/aws-sdk-go-v2/service/codecommit"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/codecommit"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/triggers"
)

var (
	_ triggers.Starter = (*sfn.Starter)(nil)
	_ triggers.Differ  = (*codecommit.Differ)(nil)
)

// settings is the function's own configuration, read once from the
// environment (awsdeps.Settings has the table).
type settings struct {
	StateMachineARN string
	Account         string
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{StateMachineARN: getenv("STATE_MACHINE_ARN"), Account: getenv("EVENT_ACCOUNT")}
	var bad []error
	if !accountID.MatchString(s.Account) {
		bad = append(bad, fmt.Errorf("EVENT_ACCOUNT is %q, want the function's 12-digit account id", s.Account))
	}
	if s.StateMachineARN == "" {
		bad = append(bad, errors.New("STATE_MACHINE_ARN is not set"))
	} else if _, err := sfn.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
		bad = append(bad, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
	}
	return s, errors.Join(bad...)
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

func main() {
	awsdeps.Start("trigger", func(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, events.CloudWatchEvent) (triggers.Result, error), error) {
		h, err := newHandler(ctx, getenv, logger)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*triggers.Handler, error) {
	s, err := loadSettings(getenv)
	f, ferr := awsdeps.Load(ctx, "trigger", getenv, logger)
	if err := errors.Join(ferr, err); err != nil {
		return nil, err
	}
	d := f.Deps
	st := d.Store()
	return &triggers.Handler{
		Specs:    st,
		Releases: st,
		Starter:  &sfn.Starter{Client: awssfn.NewFromConfig(d.Config), StateMachineARN: s.StateMachineARN},
		Differ:   &codecommit.Differ{Client: awscc.NewFromConfig(d.Config)},
		Account:  s.Account,
		Now:      d.Now,
		Logger:   f.Logger,
	}, nil
}
