// Command webhook is the Lambda function behind the API Gateway HTTP API
// route that receives GitHub and GitLab push webhooks. It verifies each
// delivery with the secret read from Secrets Manager or Parameter Store
// (cached), drops redelivered ids and publishes verified pushes as
// "Git Push" events for the trigger function.
//
// Environment: TABLE_NAME (the Shipwave table, for delivery ids),
// GITHUB_SECRET_ID and/or GITLAB_SECRET_ID (Secrets Manager ids, or
// "ssm:<parameter>" for a Parameter Store SecureString, of the webhook
// secret and the GitLab secret token), EVENT_BUS_NAME (optional; the
// default bus when empty), SECRET_TTL (optional Go duration, default 5m).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/auth/ssmparam"
	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/webhook"
)

// settings is the function's own configuration, read once from the
// environment (awsdeps.Load reads the table).
type settings struct {
	GitHubSecret string
	GitLabSecret string
	EventBus     string
	SecretTTL    time.Duration
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{GitHubSecret: getenv("GITHUB_SECRET_ID"), GitLabSecret: getenv("GITLAB_SECRET_ID"),
		EventBus: getenv("EVENT_BUS_NAME"), SecretTTL: 5 * time.Minute}
	var errs []error
	if s.GitHubSecret == "" && s.GitLabSecret == "" {
		errs = append(errs, errors.New("neither GITHUB_SECRET_ID nor GITLAB_SECRET_ID is set"))
	}
	if v := getenv("SECRET_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("SECRET_TTL %q is not a duration such as 5m", v))
		}
		s.SecretTTL = d
	}
	return s, errors.Join(errs...)
}

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("webhook function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigw.Handler(h))
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*webhook.Handler, error) {
	s, err := loadSettings(getenv)
	f, ferr := awsdeps.Load(ctx, "webhook", getenv, logger)
	if err := errors.Join(ferr, err); err != nil {
		return nil, err
	}
	d, logger := f.Deps, f.Logger
	cfg := d.Config
	return &webhook.Handler{
		Secrets:      auth.NewCache(secretSource(cfg), s.SecretTTL, time.Now),
		GitHubSecret: s.GitHubSecret,
		GitLabSecret: s.GitLabSecret,
		Deliveries:   d.Store(),
		Publisher:    webhook.EventBridge{Client: eventbridge.NewFromConfig(cfg), Bus: s.EventBus},
		Logger:       logger,
	}, nil
}

// secretSource reads "ssm:<parameter name>" ids from Parameter Store and
// every other id from Secrets Manager.
func secretSource(cfg aws.Config) auth.Secrets {
	// Secrets Manager ids are versioned: a rotation's AWSPENDING and
	// AWSPREVIOUS values verify too (auth.VerifyWithSecret).
	return auth.Prefixed{Prefix: "ssm:", Prefixed: ssmparam.New(ssm.NewFromConfig(cfg)), Default: secretsmanager.New(sm.NewFromConfig(cfg))}
}
