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
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/alexa"
	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/triggers"
)

type settings struct {
	StateMachineARN string
	SkillIDs        []string
}

func loadSettings(getenv func(string) string) (settings, error) {
	env, err := awsdeps.Env(getenv, "STATE_MACHINE_ARN", "ALEXA_SKILL_ID")
	s := settings{StateMachineARN: env["STATE_MACHINE_ARN"]}
	for _, id := range strings.Split(env["ALEXA_SKILL_ID"], ",") {
		if id = strings.TrimSpace(id); id != "" {
			s.SkillIDs = append(s.SkillIDs, id)
		}
	}
	errs := []error{err}
	if s.StateMachineARN != "" {
		if _, err := sfn.ExecutionARN(s.StateMachineARN, "probe"); err != nil {
			errs = append(errs, fmt.Errorf("STATE_MACHINE_ARN: %w", err))
		}
	}
	for _, id := range s.SkillIDs {
		if !strings.HasPrefix(id, "amzn1.ask.skill.") {
			errs = append(errs, fmt.Errorf("ALEXA_SKILL_ID %q is not an amzn1.ask.skill. id", id))
		}
	}
	return s, errors.Join(errs...)
}

func main() {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("alexa function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigw.Handler(h))
}

func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*alexa.Handler, error) {
	s, err := loadSettings(getenv)
	f, ferr := awsdeps.Load(ctx, "alexa", getenv, logger)
	if err := errors.Join(ferr, err); err != nil {
		return nil, err
	}
	d, logger := f.Deps, f.Logger
	cfg := d.Config
	st, callbacks := d.Store(), d.Callbacks()
	sfnClient := awssfn.NewFromConfig(cfg)
	return &alexa.Handler{
		// System roots and the real fetcher: production enforces Amazon's chain.
		Verifier: &auth.AlexaVerifier{ApplicationIDs: s.SkillIDs},
		Replays:  st,
		Ops: &chatops.Ops{
			Store:     st,
			Launcher:  &triggers.Launcher{Specs: st, Releases: st, Starter: &sfn.Starter{Client: sfnClient, StateMachineARN: s.StateMachineARN}, Logger: logger},
			Decider:   &control.Service{Store: st, Callbacks: callbacks, Now: time.Now, Logger: logger},
			Callbacks: callbacks,
			Refusals:  st,
			Logger:    logger,
		},
		Logger: logger,
	}, nil
}
