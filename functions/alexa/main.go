// Command alexa is the Lambda function behind the API Gateway HTTP API route
// the Shipwave Alexa skill calls (an HTTPS endpoint, so requests carry
// Alexa's signature, which the handler verifies). It deploys, reports,
// approves and rolls back, asking for confirmation first.
//
// Environment: TABLE_NAME, STATE_MACHINE_ARN, ALEXA_SKILL_ID (the skill's
// application id; several may be given separated by commas).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/alexa"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/chatops/sfncallbacks"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/sfnstart"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/webhook/httpapi"
)

type settings struct {
	Table, StateMachineARN string
	SkillIDs               []string
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Table: getenv("TABLE_NAME"), StateMachineARN: getenv("STATE_MACHINE_ARN")}
	for _, id := range strings.Split(getenv("ALEXA_SKILL_ID"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			s.SkillIDs = append(s.SkillIDs, id)
		}
	}
	var errs []error
	if s.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME is not set"))
	}
	if s.StateMachineARN == "" {
		errs = append(errs, errors.New("STATE_MACHINE_ARN is not set"))
	} else if _, err := sfnstart.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
		errs = append(errs, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
	}
	if len(s.SkillIDs) == 0 {
		errs = append(errs, errors.New("ALEXA_SKILL_ID is not set"))
	}
	for _, id := range s.SkillIDs {
		if !strings.HasPrefix(id, "amzn1.ask.skill.") {
			errs = append(errs, fmt.Errorf("ALEXA_SKILL_ID %q is not an amzn1.ask.skill. id", id))
		}
	}
	return s, errors.Join(errs...)
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "alexa")
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("alexa function cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(httpapi.Handler(h))
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*alexa.Handler, error) {
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
	st := store.New(dynamodb.NewFromConfig(cfg), s.Table)
	sfnClient := sfn.NewFromConfig(cfg)
	callbacks := sfncallbacks.New(sfnClient)
	return &alexa.Handler{
		// System roots and the real fetcher: production enforces Amazon's chain.
		Verifier: &auth.AlexaVerifier{ApplicationIDs: s.SkillIDs},
		Replays:  st,
		Ops: &chatops.Ops{
			Store:     st,
			Launcher:  &chatops.Launcher{Specs: st, Releases: st, Starter: &sfnstart.Starter{Client: sfnClient, StateMachineARN: s.StateMachineARN}, Logger: logger},
			Decider:   &control.Service{Store: st, Callbacks: callbacks, Logger: logger},
			Callbacks: callbacks,
			Logger:    logger,
		},
		Logger: logger,
	}, nil
}
