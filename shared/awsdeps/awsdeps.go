package awsdeps

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	cwalarms "github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	"github.com/shipwave/shipwave/shared/analysis"
	authsm "github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/control"
	hookrunner "github.com/shipwave/shipwave/shared/hooks/runner"
	"github.com/shipwave/shipwave/shared/loadtest/resultdynamo"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/selfinvoke"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/synthetic"
	"github.com/shipwave/shipwave/shared/traffic/albweights"
	"github.com/shipwave/shipwave/shared/traffic/lambdaalias"
)

// Env reads the named variables with getenv and returns them by name. Every
// variable is required: the error names all that are unset.
func Env(getenv func(string) string, names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	var missing []string
	for _, n := range names {
		v := strings.TrimSpace(getenv(n))
		if v == "" {
			missing = append(missing, n)
		}
		out[n] = v
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("environment variable(s) not set: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// Config loads the default AWS configuration (the Lambda role's credentials
// and region) and traces every client built from it with X-Ray, sending
// subsegments to the daemon at xrayDaemon (AWS_XRAY_DAEMON_ADDRESS; empty
// means Lambda's default).
func Config(ctx context.Context, xrayDaemon string) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if err := Trace(&cfg, xrayDaemon); err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}

// Trace adds X-Ray tracing to cfg: every aws-sdk-go-v2 call in a sampled
// invocation becomes a subsegment of its trace (see observe.Tracer).
func Trace(cfg *aws.Config, xrayDaemon string) error {
	tr, err := observe.NewTracer(xrayDaemon, nil)
	if err != nil {
		return fmt.Errorf("x-ray tracing: %w", err)
	}
	tr.Instrument(&cfg.APIOptions)
	return nil
}

// Deps builds the dependencies; each method builds one, so a function pays
// only for the clients it uses.
type Deps struct {
	// Config is the AWS configuration every client is built from.
	Config aws.Config
	// Table is the Shipwave DynamoDB table.
	Table string
	// Logger receives warnings of the metered store.
	Logger *slog.Logger
	// Metrics receives EMF metrics; nil means none.
	Metrics *observe.Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (d Deps) now() func() time.Time {
	if d.Now != nil {
		return d.Now
	}
	return time.Now
}

// Store returns the release store on Table, metered: every event appended
// also becomes EMF metrics (see observe.Meter).
func (d Deps) Store() *MeteredStore {
	st := store.New(dynamodb.NewFromConfig(d.Config), d.Table, store.WithNow(d.now()))
	return Meter(st, d.Metrics, d.Logger)
}

// Shifters returns the control.Service Shifters function: Lambda alias
// targets use the Lambda API, ECS blue/green targets the ALB weights of
// their listener. Other types are an ErrInvalid-kind error.
func (d Deps) Shifters() func(release.Target) (control.Shifter, error) {
	alias := lambdaalias.New(lambda.NewFromConfig(d.Config))
	weights := albweights.New(elb.NewFromConfig(d.Config))
	return ShiftersFor(map[release.TargetType]control.Shifter{
		release.TargetLambdaAlias:  alias,
		release.TargetECSBlueGreen: weights,
	})
}

// ShiftersFor returns a Shifters function choosing from byType.
func ShiftersFor(byType map[release.TargetType]control.Shifter) func(release.Target) (control.Shifter, error) {
	return func(t release.Target) (control.Shifter, error) {
		if s, ok := byType[t.Type]; ok {
			return s, nil
		}
		return nil, release.Errorf(release.ErrInvalid, "target %s: type %q cannot be deployed on AWS (want %s or %s)",
			t.Name, t.Type, release.TargetLambdaAlias, release.TargetECSBlueGreen)
	}
}

// Analysis returns the metric sources canary analysis reads: CloudWatch
// per Lambda version (ExecutedVersion) or ALB target group, per period.
func (d Deps) Analysis() func(release.Target) (analysis.Source, error) {
	client := cloudwatch.NewFromConfig(d.Config)
	return func(t release.Target) (analysis.Source, error) {
		return cwalarms.MetricsFor(client, t, 0)
	}
}

// Requests returns the request counter for bakes that need data.
func (d Deps) Requests() *cwalarms.Requests {
	return cwalarms.NewRequests(cloudwatch.NewFromConfig(d.Config), d.now())
}

var (
	_ control.Requests        = (*cwalarms.Requests)(nil)
	_ control.SyntheticSource = (*cwalarms.Metrics)(nil)
)

// Synthetic returns synthetic traffic for Lambda alias targets (the bake
// function: it starts runs and stops them): runs are items of Table, and
// each starts the synthetic function (its name, SYNTHETIC_FUNCTION) with
// an asynchronous invocation.
func (d Deps) Synthetic(function string) *synthetic.Traffic {
	return &synthetic.Traffic{Runs: d.Store(), Starter: selfinvoke.Sender{Client: lambda.NewFromConfig(d.Config), Function: function, Kind: synthetic.JobKind}}
}

// SyntheticStops returns synthetic traffic that can only be stopped (a
// restore stops a target's run, in the table); starting one fails.
func (d Deps) SyntheticStops() *synthetic.Traffic {
	return &synthetic.Traffic{Runs: d.Store(), Starter: noStarts{}}
}

// noStarts is the Starter of SyntheticStops.
type noStarts struct{}

func (noStarts) Send(context.Context, any) error {
	return fmt.Errorf("this function only stops synthetic traffic (the bake function starts it)")
}

// SyntheticCounter is the synthetic function's view of Table: it only adds
// to a run's sent count (UpdateItem), the one action its role allows.
func (d Deps) SyntheticCounter() synthetic.Counter {
	return store.New(dynamodb.NewFromConfig(d.Config), d.Table, store.WithNow(d.now()))
}

// Alarms returns the CloudWatch alarm source.
func (d Deps) Alarms() *cwalarms.Source {
	return cwalarms.New(cloudwatch.NewFromConfig(d.Config))
}

// Callbacks returns the Step Functions task callbacks.
func (d Deps) Callbacks() *sfn.Callbacks {
	return sfn.NewCallbacks(awssfn.NewFromConfig(d.Config))
}

// LoadTestResults returns the load-test result store on Table.
func (d Deps) LoadTestResults() *resultdynamo.Store {
	return resultdynamo.New(dynamodb.NewFromConfig(d.Config), d.Table, d.now())
}

// Hooks returns the hook runner: Lambda hooks through the Lambda API, HTTP
// hooks signed with the secret secretARN holds (read once, here).
func (d Deps) Hooks(ctx context.Context, secretARN string) (*hookrunner.Runner, error) {
	secret, err := authsm.New(secretsmanager.NewFromConfig(d.Config)).Secret(ctx, secretARN)
	if err != nil {
		return nil, fmt.Errorf("read hook signing secret: %w", err)
	}
	return hookrunner.New(hookrunner.Config{Lambda: lambda.NewFromConfig(d.Config), Secret: secret, Now: d.now(), Logger: d.Logger}), nil
}

// MeteredStore is the release store with every appended event also
// observed as metrics. It is a control.Store.
type MeteredStore struct {
	*store.Store
	meter *observe.Meter
}

var _ control.Store = (*MeteredStore)(nil)

// Meter wraps st so that AppendEvent also writes metrics to m (nil: none).
func Meter(st *store.Store, m *observe.Metrics, log *slog.Logger) *MeteredStore {
	ms := &MeteredStore{Store: st}
	if m != nil {
		ms.meter = &observe.Meter{Metrics: m, Releases: st, Logger: log}
	}
	return ms
}

// AppendEvent appends ev and, once stored, records its metrics.
func (s *MeteredStore) AppendEvent(ctx context.Context, ev release.Event) (release.Event, error) {
	out, err := s.Store.AppendEvent(ctx, ev)
	if err == nil {
		s.meter.Observe(ctx, out)
	}
	return out, err
}
