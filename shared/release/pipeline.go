package release

import "time"

// ExecutionMode says what happens when a release arrives while another of the
// same pipeline is running, with CodePipeline V2's semantics.
type ExecutionMode string

// Execution modes.
const (
	ModeQueued     ExecutionMode = "QUEUED"
	ModeSuperseded ExecutionMode = "SUPERSEDED"
	ModeParallel   ExecutionMode = "PARALLEL"
)

// Pipeline is a validated pipeline spec: where releases come from and how
// they travel to production.
type Pipeline struct {
	APIVersion    string        `json:"apiVersion"`
	Name          string        `json:"pipeline"`
	Source        Source        `json:"source"`
	ExecutionMode ExecutionMode `json:"executionMode"`
	Triggers      []TriggerRule `json:"triggers,omitempty"`
	DeployWindows []Window      `json:"deployWindows,omitempty"`
	// Alarms are watched during every bake of every stage unless a stage or
	// wave names its own.
	Alarms    []string    `json:"alarms,omitempty"`
	Hooks     Hooks       `json:"hooks,omitempty"`
	Stages    []Stage     `json:"stages"`
	OnFailure FailureMode `json:"onFailure,omitempty"`
	Notify    []string    `json:"notify,omitempty"`
	Approvers []string    `json:"approvers,omitempty"`
	Chat      *ChatAccess `json:"chat,omitempty"`
}

// Source is the repository a pipeline releases from.
type Source struct {
	Repository string   `json:"repository"`
	Branch     string   `json:"branch,omitempty"`
	Tags       []string `json:"tags,omitempty"`  // tag globs for tag pushes
	Paths      []string `json:"paths,omitempty"` // file globs; empty means any change
	Ignore     []string `json:"ignore,omitempty"`
	Image      string   `json:"image,omitempty"` // ECR repository, for image triggers
}

// TriggerRule is one way a pipeline may be started. Exactly one field is set.
type TriggerRule struct {
	Push         *PushTrigger     `json:"push,omitempty"`
	Image        *ImageTrigger    `json:"image,omitempty"`
	Schedule     *ScheduleTrigger `json:"schedule,omitempty"`
	CodePipeline *struct{}        `json:"codePipeline,omitempty"`
	Chat         *struct{}        `json:"chat,omitempty"`
	Voice        *struct{}        `json:"voice,omitempty"`
}

// PushTrigger starts a release on a git push matching the filters; empty
// filters fall back to the pipeline's Source.
type PushTrigger struct {
	Branches []string `json:"branches,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Paths    []string `json:"paths,omitempty"`
	Ignore   []string `json:"ignore,omitempty"`
}

// ImageTrigger starts a release when an image is pushed to a repository with
// a tag matching one of Tags (globs).
type ImageTrigger struct {
	Repository string   `json:"repository"`
	Tags       []string `json:"tags,omitempty"`
}

// ScheduleTrigger starts a release on an EventBridge cron expression
// (six fields) evaluated in Timezone.
type ScheduleTrigger struct {
	Cron     string `json:"cron"`
	Timezone string `json:"timezone,omitempty"`
}

// Window is a deploy window: traffic may shift only inside it.
type Window struct {
	Days     []time.Weekday `json:"days"`
	Start    Clock          `json:"start"` // inclusive
	End      Clock          `json:"end"`   // exclusive; End < Start wraps past midnight
	Timezone string         `json:"timezone"`
	// Blocked lists dates (YYYY-MM-DD in Timezone) on which the window stays shut.
	Blocked []string `json:"blocked,omitempty"`
}

// Clock is a time of day in minutes after midnight.
type Clock int

// Hooks are the checks run around traffic shifts.
type Hooks struct {
	PreTraffic  *Hook `json:"preTraffic,omitempty"`
	PostTraffic *Hook `json:"postTraffic,omitempty"`
}

// Hook is a Lambda function or an HTTP endpoint that must answer success.
type Hook struct {
	Lambda  string        `json:"lambda,omitempty"`
	HTTP    string        `json:"http,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// FailureMode says what a failed wave does to waves already promoted.
type FailureMode string

// Failure modes.
const (
	FailureRollbackWave     FailureMode = "rollbackWave"
	FailureRollbackAllWaves FailureMode = "rollbackAllWaves"
)

// ChatAccess lists who may steer a pipeline from Slack or Alexa.
type ChatAccess struct {
	Deployers []string `json:"deployers,omitempty"`
	Approvers []string `json:"approvers,omitempty"`
}

// Stage is a step of the pipeline, such as beta or prod. A stage has either
// Targets (one implicit wave) or Waves.
type Stage struct {
	Name     string    `json:"name"`
	Approval *Approval `json:"approval,omitempty"`
	Waves    []Wave    `json:"waves"`
	// Windowed says the stage obeys the pipeline's deploy windows (production
	// stages do by default).
	Windowed bool `json:"windowed,omitempty"`
}

// Approval is a manual gate before a stage.
type Approval struct {
	Approvers []string      `json:"approvers"`
	Timeout   time.Duration `json:"timeout"`
}

// Wave is a set of targets deployed together, after the previous wave has
// baked.
type Wave struct {
	Name       string      `json:"name"`
	Targets    []Target    `json:"targets"`
	Deployment Deployment  `json:"deployment"`
	Bake       Bake        `json:"bake"`
	Alarms     []string    `json:"alarms,omitempty"`
	Hooks      Hooks       `json:"hooks,omitempty"`
	LoadTest   *LoadTest   `json:"loadTest,omitempty"`
	OnFailure  FailureMode `json:"onFailure,omitempty"`
}

// TargetType names the kind of thing traffic is shifted on.
type TargetType string

// Target types.
const (
	TargetLambdaAlias  TargetType = "lambdaAlias"
	TargetECSBlueGreen TargetType = "ecsBlueGreen"
	TargetLocal        TargetType = "local"
)

// Target is one deployable thing: a Lambda alias, an ECS service behind an
// ALB, or a service of the local fleet.
type Target struct {
	Type TargetType `json:"type"`
	// Name identifies the target across releases (its lock key); defaulted
	// from the type-specific fields.
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
	// lambdaAlias
	Function string `json:"function,omitempty"`
	Alias    string `json:"alias,omitempty"`
	// ecsBlueGreen
	Cluster          string `json:"cluster,omitempty"`
	Service          string `json:"service,omitempty"`
	ListenerARN      string `json:"listenerArn,omitempty"`
	RuleARN          string `json:"ruleArn,omitempty"`
	TestListenerARN  string `json:"testListenerArn,omitempty"`
	BlueTargetGroup  string `json:"blueTargetGroup,omitempty"`
	GreenTargetGroup string `json:"greenTargetGroup,omitempty"`
	// local
	Instances int      `json:"instances,omitempty"`
	Alarms    []string `json:"alarms,omitempty"`
}

// Bake is how long a shifted step must stay healthy, and how much evidence it
// needs: the bake passes only after Duration and at least MinRequests
// requests on the new version. Too little traffic extends the bake up to
// MaxExtension; then OnInsufficientData decides.
type Bake struct {
	Duration           time.Duration `json:"duration"`
	MinRequests        int64         `json:"minRequests,omitempty"`
	MaxExtension       time.Duration `json:"maxExtension,omitempty"`
	OnInsufficientData string        `json:"onInsufficientData,omitempty"` // "fail" (default) or "promote"
}

// LoadTest describes a distributed load test run after the traffic shift.
type LoadTest struct {
	Tasks       int           `json:"tasks"`
	RPS         float64       `json:"rps,omitempty"`         // constant-rate mode, total across tasks
	Concurrency int           `json:"concurrency,omitempty"` // fixed-concurrency mode, per task
	RampUp      time.Duration `json:"rampUp,omitempty"`
	HoldFor     time.Duration `json:"holdFor"`
	URL         string        `json:"url,omitempty"`
	Criteria    Criteria      `json:"criteria"`
}

// Criteria are the thresholds a load test must meet. Zero means unchecked.
type Criteria struct {
	P50       time.Duration `json:"p50,omitempty"`
	P90       time.Duration `json:"p90,omitempty"`
	P99       time.Duration `json:"p99,omitempty"`
	ErrorRate float64       `json:"errorRate,omitempty"` // fraction, 0.01 = 1%
	MinRPS    float64       `json:"minRps,omitempty"`
}
