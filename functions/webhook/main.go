// Command webhook is the Lambda function behind the API Gateway HTTP API
// route that receives GitHub and GitLab push webhooks. It verifies each
// delivery with the secret read from Secrets Manager (cached), drops
// redelivered ids and publishes verified pushes as "Git Push" events for
// the trigger function.
//
// Environment: TABLE_NAME (the Shipwave table, for delivery ids),
// GITHUB_SECRET_ID and/or GITLAB_SECRET_ID (Secrets Manager ids of the
// webhook secret and the GitLab secret token), EVENT_BUS_NAME (optional;
// the default bus when empty), SECRET_TTL (optional Go duration, default 5m).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/webhook"
	"github.com/shipwave/shipwave/shared/webhook/httpapi"
)

// settings is the function's configuration, read once from the environment.
type settings struct {
	Table        string
	GitHubSecret string
	GitLabSecret string
	EventBus     string
	SecretTTL    time.Duration
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Table: getenv("TABLE_NAME"), GitHubSecret: getenv("GITHUB_SECRET_ID"), GitLabSecret: getenv("GITLAB_SECRET_ID"),
		EventBus: getenv("EVENT_BUS_NAME"), SecretTTL: 5 * time.Minute}
	var errs []error
	if s.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME is not set"))
	}
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
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "webhook")
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("webhook function cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(httpapi.Handler(h))
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*webhook.Handler, error) {
	s, err := loadSettings(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	tracer, err := observe.NewTracer(getenv("AWS_XRAY_DAEMON_ADDRESS"), nil)
	if err != nil {
		return nil, err
	}
	tracer.Instrument(&cfg.APIOptions) // X-Ray subsegments for every AWS call
	return &webhook.Handler{
		Secrets:      auth.NewCache(secretsmanager.New(sm.NewFromConfig(cfg)), s.SecretTTL, time.Now),
		GitHubSecret: s.GitHubSecret,
		GitLabSecret: s.GitLabSecret,
		Deliveries:   store.New(dynamodb.NewFromConfig(cfg), s.Table),
		Publisher:    webhook.EventBridge{Client: eventbridge.NewFromConfig(cfg), Bus: s.EventBus},
		Logger:       logger,
	}, nil
}
