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
	"os"
	"regexp"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/sfnstart"
	releasestore "github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/triggers"
	"github.com/shipwave/shipwave/shared/triggers/codecommitdiff"
)

var (
	_ triggers.Starter = (*sfnstart.Starter)(nil)
	_ triggers.Differ  = (*codecommitdiff.Differ)(nil)
)

// settings is the function's configuration, read once from the environment.
type settings struct {
	Table           string
	StateMachineARN string
	Account         string
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Table: getenv("TABLE_NAME"), StateMachineARN: getenv("STATE_MACHINE_ARN"), Account: getenv("EVENT_ACCOUNT")}
	var missing []error
	if !accountID.MatchString(s.Account) {
		missing = append(missing, fmt.Errorf("EVENT_ACCOUNT is %q, want the function's 12-digit account id", s.Account))
	}
	if s.Table == "" {
		missing = append(missing, errors.New("TABLE_NAME is not set"))
	}
	if s.StateMachineARN == "" {
		missing = append(missing, errors.New("STATE_MACHINE_ARN is not set"))
	} else if _, err := sfnstart.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
		missing = append(missing, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
	}
	return s, errors.Join(missing...)
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// store is what the handler needs from the release store.
type store interface {
	triggers.Specs
	triggers.Releases
}

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("trigger function cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*triggers.Handler, error) {
	s, err := loadSettings(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	st, err := newReleases(cfg, s.Table)
	if err != nil {
		return nil, err
	}
	return &triggers.Handler{
		Specs:    st,
		Releases: st,
		Starter:  &sfnstart.Starter{Client: sfn.NewFromConfig(cfg), StateMachineARN: s.StateMachineARN},
		Differ:   &codecommitdiff.Differ{Client: codecommit.NewFromConfig(cfg)},
		Account:  s.Account,
		Now:      time.Now,
		Logger:   logger.With("function", "trigger"),
	}, nil
}

// newReleases builds the DynamoDB release store on table.
func newReleases(cfg aws.Config, table string) (store, error) {
	return releasestore.New(dynamodb.NewFromConfig(cfg), table), nil
}
