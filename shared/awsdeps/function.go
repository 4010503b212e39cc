package awsdeps

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shipwave/shipwave/shared/observe"
)

// Settings is the configuration every function reads from its
// environment.
type Settings struct {
	// Table is the Shipwave DynamoDB table (TABLE_NAME, required).
	Table string
	// XRayDaemon is where X-Ray subsegments go (AWS_XRAY_DAEMON_ADDRESS;
	// empty means Lambda's default).
	XRayDaemon string
	// Extra holds the function's own required variables, by name.
	Extra map[string]string
}

// LoadSettings reads Settings from getenv; extra names the function's own
// required variables. The error names every required variable that is
// unset.
func LoadSettings(getenv func(string) string, extra ...string) (Settings, error) {
	env, err := Env(getenv, append([]string{"TABLE_NAME"}, extra...)...)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Table: env["TABLE_NAME"], XRayDaemon: getenv("AWS_XRAY_DAEMON_ADDRESS"), Extra: map[string]string{}}
	for _, n := range extra {
		s.Extra[n] = env[n]
	}
	return s, nil
}

// Function is one function's wiring: its settings, its logger (tagged
// with the function's name) and its dependency builder, whose clients are
// traced with X-Ray.
type Function struct {
	Name     string
	Settings Settings
	Logger   *slog.Logger
	Deps     Deps
}

// Load reads the settings, loads the AWS configuration with X-Ray tracing
// and returns the function's wiring; logger is the process logger
// (observe.NewLogger). extra are the function's own required variables.
func Load(ctx context.Context, name string, getenv func(string) string, logger *slog.Logger, extra ...string) (Function, error) {
	s, err := LoadSettings(getenv, extra...)
	if err != nil {
		return Function{}, fmt.Errorf("%s: %w", name, err)
	}
	cfg, err := Config(ctx, s.XRayDaemon)
	if err != nil {
		return Function{}, fmt.Errorf("%s: %w", name, err)
	}
	logger = logger.With("function", name)
	return Function{
		Name: name, Settings: s, Logger: logger,
		Deps: Deps{Config: cfg, Table: s.Table, Logger: logger, Metrics: observe.NewMetrics(os.Stdout, nil), Now: time.Now},
	}, nil
}

// Task wraps a Task state's handler (a control.Service method, or a
// control.Router's Handle for a function serving several states) with the
// invocation log line every function writes (observe.Handler).
func Task[In, Out any](f Function, h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return observe.Handler(f.Logger, f.Name, f.Deps.now(), h)
}

// Start is every function's main: it builds the handler with newHandler
// from the process environment, logging with observe.NewLogger, exits 1
// with the reason when the wiring fails, and runs the handler.
func Start[H any](name string, newHandler func(ctx context.Context, getenv func(string) string, logger *slog.Logger) (H, error)) {
	logger := observe.NewLogger(os.Stdout)
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error(name+" function cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
