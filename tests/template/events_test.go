package template_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/hooks/codedeploy"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/synthetic"
)

// routers are the functions of template.yaml that serve several Task
// states, told apart by the sample's action.
var routers = map[string]*control.Router{
	"RecordFunction": (&control.Service{}).RecordFunction(),
	"ShiftFunction":  (&control.Service{}).ShiftFunction(),
	"BakeFunction":   (&control.Service{}).BakeFunction(),
}

// samples names, for each function of template.yaml, the events/ files
// `sam local invoke <Function> -e` takes (docs/deploying.md), and the Go
// type of the event: the handler's input for the Step Functions tasks (for
// a router, none: its action's input type), the aws-lambda-go event type
// for the others.
var samples = map[string]struct {
	files []string
	as    any
}{
	"TriggerFunction": {[]string{"codecommit-push.json", "webhook-github-push.json", "ecr-push.json"}, events.CloudWatchEvent{}},
	"RecordFunction": {[]string{"task-record-begin.json", "task-record-stage-start.json", "task-record-window.json",
		"task-record-wave-result.json", "task-record-stage-done.json", "task-record-finish.json"}, nil},
	"ApprovalFunction":          {[]string{"task-approval-register.json"}, control.ApprovalInput{}},
	"LockFunction":              {[]string{"task-lock-acquire.json"}, control.LockInput{}},
	"ShiftFunction":             {[]string{"task-shift-prepare.json", "task-shift-step.json"}, nil},
	"HookFunction":              {[]string{"task-hook-pre-traffic.json"}, control.HookInput{}},
	"BakeFunction":              {[]string{"task-bake-register.json", "task-bake-check.json"}, nil},
	"FinalizeFunction":          {[]string{"task-finalize.json"}, control.FinalizeInput{}},
	"RollbackFunction":          {[]string{"task-rollback.json"}, control.RollbackInput{}},
	"AlarmWatchFunction":        {[]string{"alarm-state-change-alarm.json"}, events.CloudWatchEvent{}},
	"ReconcileFunction":         {[]string{"sfn-execution-aborted.json", "sfn-execution-timed-out.json", "sfn-deploy-failed.json"}, events.CloudWatchEvent{}},
	"LoadTestAggregateFunction": {[]string{"task-loadtest-aggregate.json"}, loadtest.AggregateInput{}},
	"ApiFunction":               {[]string{"api-approve.json"}, events.APIGatewayV2HTTPRequest{}},
	"WebhookFunction":           {[]string{"http-github-push.json", "http-github-tag.json", "http-gitlab-push.json", "http-gitlab-tag.json"}, events.APIGatewayV2HTTPRequest{}},
	"SlackFunction":             {[]string{"http-slack-deploy.json"}, events.APIGatewayV2HTTPRequest{}},
	"AlexaFunction":             {[]string{"http-alexa-launch.json", "http-alexa-deploy.json", "http-alexa-status.json"}, events.APIGatewayV2HTTPRequest{}},
	"CodePipelineFunction":      {[]string{"codepipeline-job.json", "codepipeline-job-continuation.json"}, events.CodePipelineJobEvent{}},
	"ScheduleFunction":          {[]string{"schedule-fire.json"}, scheduler.Fire{}},
	"CodeDeployHookFunction":    {[]string{"codedeploy-lifecycle-hook.json"}, codedeploy.Event{}},
	"NotifyFunction":            {[]string{"dynamodb-event-log-insert.json"}, events.DynamoDBEvent{}},
	// The bake function's asynchronous invocation: a selfinvoke envelope.
	"SyntheticFunction": {[]string{"synthetic-job.json"}, struct {
		Kind string        `json:"shipwaveJob"`
		Job  synthetic.Job `json:"job"`
	}{}},
}

// TestEveryFunctionHasSamples: every function of the template has sample
// events, each decodes into the function's event type with no field the
// type lacks (a renamed field would make the sample silently empty), the
// samples of a router name one of its actions and together cover them
// all, and the task samples carry a release.
func TestEveryFunctionHasSamples(t *testing.T) {
	tp := load(t)
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		t.Run(fn.ID, func(t *testing.T) {
			s, ok := samples[fn.ID]
			if !ok || len(s.files) == 0 {
				t.Fatalf("%s has no sample events; add events/*.json for it here and in docs/deploying.md", fn.ID)
			}
			router := routers[fn.ID]
			covered := map[string]bool{}
			for _, f := range s.files {
				raw, err := os.ReadFile(filepath.Join(root, "events", f))
				if err != nil {
					t.Fatal(err)
				}
				typ := reflect.TypeOf(s.as)
				if router != nil {
					var fields map[string]json.RawMessage
					var action string
					if err := json.Unmarshal(raw, &fields); err != nil || json.Unmarshal(fields["action"], &action) != nil {
						t.Errorf("events/%s: a sample of %s needs an action (%v)", f, fn.ID, err)
						continue
					}
					if typ, ok = router.Input(action); !ok {
						t.Errorf("events/%s: action %q is not one of %s's %v", f, action, fn.ID, router.Actions())
						continue
					}
					covered[action] = true
					delete(fields, "action")
					if raw, err = json.Marshal(fields); err != nil {
						t.Fatal(err)
					}
				}
				v := reflect.New(typ).Interface()
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.DisallowUnknownFields()
				if err := dec.Decode(v); err != nil {
					t.Errorf("events/%s does not decode into %s: %v", f, typ, err)
					continue
				}
				var task struct {
					ReleaseID string `json:"releaseId"`
					Target    struct {
						Name string `json:"name"`
					} `json:"target"`
				}
				_ = json.Unmarshal(raw, &task)
				switch _, deploy := typ.FieldByName("TargetTask"); {
				case deploy && (task.ReleaseID == "" || task.Target.Name == ""):
					t.Errorf("events/%s: a deploy task needs releaseId and target", f)
				case router != nil && task.ReleaseID == "":
					t.Errorf("events/%s: a task needs a releaseId", f)
				}
			}
			if router != nil && len(covered) < len(router.Actions()) {
				t.Errorf("the samples of %s cover actions %v of %v", fn.ID, covered, router.Actions())
			}
		})
	}
	for id := range samples {
		if _, ok := tp.resources[id]; !ok {
			t.Errorf("samples names %s, which template.yaml does not define", id)
		}
	}
}

// TestSamEnvExample: examples/sam-env.json (sam local invoke --env-vars)
// sets only variables the template declares, since SAM ignores the others:
// Parameters those of Globals, each function's those of the function.
func TestSamEnvExample(t *testing.T) {
	tp := load(t)
	raw, err := os.ReadFile(filepath.Join(root, "examples", "sam-env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("examples/sam-env.json: %v", err)
	}
	global, _ := path(tp.globals, "Environment", "Variables").(map[string]any)
	for fn, vars := range env {
		declared := global
		if fn != "Parameters" {
			r, ok := tp.resources[fn]
			if !ok {
				t.Errorf("examples/sam-env.json names %s, which template.yaml does not define", fn)
				continue
			}
			declared, _ = path(r.Properties, "Environment", "Variables").(map[string]any)
		}
		for name := range vars {
			if _, ok := declared[name]; !ok {
				t.Errorf("examples/sam-env.json sets %s.%s, which the template does not declare there (SAM would ignore it)", fn, name)
			}
		}
	}
	if env["Parameters"]["AWS_ENDPOINT_URL_DYNAMODB"] == "" {
		t.Error("examples/sam-env.json does not point the functions at a local DynamoDB")
	}
}
