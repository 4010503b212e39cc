// Command api is the Lambda function behind Shipwave's /v1 HTTP API (API
// Gateway HTTP API, payload 2.0, IAM authorization): package httpapi's
// route table, with the calling IAM principal as the caller (approvers in a
// spec are listed by that ARN), and the dashboard's static page. Here it
// reads pipelines, releases and events, approves and rejects approval
// gates, promotes (ends running bakes), rolls running releases back, pushes
// and retries releases (a manual trigger: the release state machine is
// started), undoes releases and restores targets (break-glass: it moves
// Lambda alias and ALB weights itself, with the rollback function's
// permissions) and stores pipeline specs.
//
// Environment: TABLE_NAME, STATE_MACHINE_ARN (the release state machine),
// SCHEDULE_GROUP (the EventBridge Scheduler group), SCHEDULE_TARGET_ARN
// (the schedule function) and SCHEDULER_ROLE_ARN (the role Scheduler
// invokes it with) and LOAD_TESTS ("enabled" when the stack has load-test
// networking, "disabled" otherwise: specs with a loadTest are then refused
// when they are saved).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	sch "github.com/aws/aws-sdk-go-v2/service/scheduler"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dashboard"
	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/triggers"
)

func main() {
	logger := observe.NewLogger(os.Stdout)
	a, err := newAPI(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("api function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigw.Handler(a.Handler()))
}

func newAPI(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*httpapi.Server, error) {
	f, err := awsdeps.Load(ctx, "api", getenv, logger, "STATE_MACHINE_ARN", "SCHEDULE_GROUP", "SCHEDULE_TARGET_ARN", "SCHEDULER_ROLE_ARN", "LOAD_TESTS")
	if err != nil {
		return nil, err
	}
	env := f.Settings.Extra
	refuse, err := loadTests(env["LOAD_TESTS"])
	if err != nil {
		return nil, err
	}
	if _, err := sfn.ExecutionARN(env["STATE_MACHINE_ARN"], "probe"); err != nil {
		return nil, fmt.Errorf("api: STATE_MACHINE_ARN: %w", err)
	}
	d, logger, cfg := f.Deps, f.Logger, f.Deps.Config
	st := d.Store()
	svc := &control.Service{Store: st, Creator: st, Shifters: d.Shifters(), Synthetic: d.SyntheticStops(), Callbacks: d.Callbacks(), Now: d.Now, Logger: logger}
	schedules := &scheduler.Syncer{Client: sch.NewFromConfig(cfg), Group: env["SCHEDULE_GROUP"],
		TargetARN: env["SCHEDULE_TARGET_ARN"], RoleARN: env["SCHEDULER_ROLE_ARN"]}
	launch := &httpapi.Launch{Specs: st, Releases: st, Source: "api", Now: d.Now,
		Launcher: &triggers.Launcher{Releases: st, Starter: &sfn.Starter{Client: awssfn.NewFromConfig(cfg), StateMachineARN: env["STATE_MACHINE_ARN"]}, Now: d.Now, Logger: logger}}
	return &httpapi.Server{
		Store: st, Decider: svc, Promoter: svc, Rollback: httpapi.RequestRollback{Service: svc},
		Undo: httpapi.ServiceUndo{Service: svc}, Restorer: svc, Pusher: launch, Retrier: launch,
		Specs:     &httpapi.SpecSaver{Specs: st, Schedules: schedules, RefuseLoadTests: refuse},
		Place:     "aws",
		Dashboard: dashboard.Handler(),
		Logger:    logger,
		Now:       time.Now,
	}, nil
}

// noLoadTestNetwork is why a stack deployed without LoadTestSubnet and
// LoadTestSecurityGroup refuses specs with load tests.
const noLoadTestNetwork = "this Shipwave stack has no load-test networking (its LoadTestSubnet and LoadTestSecurityGroup parameters are empty), so it cannot run load tests; deploy the stack with both set, or remove loadTest"

// loadTests reads LOAD_TESTS: "enabled" refuses nothing, "disabled" refuses
// specs with load tests.
func loadTests(v string) (string, error) {
	switch v {
	case "enabled":
		return "", nil
	case "disabled":
		return noLoadTestNetwork, nil
	}
	return "", fmt.Errorf("LOAD_TESTS is %q, want enabled or disabled", v)
}
