package template_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	cwalarms "github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	authsm "github.com/shipwave/shipwave/shared/auth/secretsmanager"
	"github.com/shipwave/shipwave/shared/auth/ssmparam"
	"github.com/shipwave/shipwave/shared/codecommit"
	cdhook "github.com/shipwave/shipwave/shared/hooks/codedeploy"
	hookrunner "github.com/shipwave/shipwave/shared/hooks/runner"
	"github.com/shipwave/shipwave/shared/jobworker"
	"github.com/shipwave/shipwave/shared/loadtest/resultdynamo"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/selfinvoke"
	"github.com/shipwave/shipwave/shared/sfn"
	"github.com/shipwave/shipwave/shared/snspub"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/synthetic"
	"github.com/shipwave/shipwave/shared/traffic/albweights"
	"github.com/shipwave/shipwave/shared/traffic/lambdaalias"
	"github.com/shipwave/shipwave/shared/webhook"
)

// unscopable lists the only actions a statement may grant on Resource "*":
// the Service Authorization Reference lists no resource type for them.
var unscopable = []string{
	// ELBv2 Describe* calls take no resource-level permissions.
	"elasticloadbalancing:DescribeListeners",
	"elasticloadbalancing:DescribeRules",
	"elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeTargetHealth",
	// Task tokens are not resources; callbacks cannot be scoped.
	"states:SendTaskSuccess",
	"states:SendTaskFailure",
	"states:SendTaskHeartbeat",
	// X-Ray segments and sampling (Tracing on state machines).
	"xray:PutTraceSegments",
	"xray:PutTelemetryRecords",
	"xray:GetSamplingRules",
	"xray:GetSamplingTargets",
	// CloudWatch Logs vended delivery for Step Functions logging, as the
	// Step Functions developer guide documents it.
	"logs:CreateLogDelivery",
	"logs:GetLogDelivery",
	"logs:UpdateLogDelivery",
	"logs:DeleteLogDelivery",
	"logs:ListLogDeliveries",
	"logs:PutResourcePolicy",
	"logs:DescribeResourcePolicies",
	"logs:DescribeLogGroups",
	// Registry login for the load-generator image pull.
	"ecr:GetAuthorizationToken",
	// Listing schedules takes no resource-level permissions.
	"scheduler:ListSchedules",
	// CloudWatch metric reads take no resource-level permissions.
	"cloudwatch:GetMetricStatistics",
	"cloudwatch:GetMetricData",
	// Listing streams takes no resource-level permissions (the notify
	// function's event source mapping).
	"dynamodb:ListStreams",
	// CodePipeline job results: jobs are not resources.
	"codepipeline:PutJobSuccessResult",
	"codepipeline:PutJobFailureResult",
}

type statement struct {
	owner string
	sid   string
	doc   map[string]any
}

// statements returns every identity-policy statement of the template's
// roles, function policies and state machine policies. SAM adds to each
// function's role the managed AWSLambdaBasicExecutionRole (logs) and
// AWSXrayWriteOnlyAccess (Tracing: Active), and sqs:SendMessage on the
// EventInvokeConfig destination; those are SAM's, not checked here.
func statements(t *testing.T, tp *tmpl) []statement {
	t.Helper()
	var out []statement
	add := func(owner string, doc any) {
		for _, s := range list(path(doc, "Statement")) {
			m, ok := s.(map[string]any)
			if !ok {
				t.Errorf("%s: statement %v is not a mapping", owner, s)
				continue
			}
			sid, _ := m["Sid"].(string)
			out = append(out, statement{owner: owner, sid: sid, doc: m})
		}
	}
	for _, r := range tp.resources {
		switch r.Type {
		case "AWS::Serverless::Function", "AWS::Serverless::StateMachine":
			if r.Properties["Role"] != nil {
				t.Errorf("%s sets Role; declare its Policies inline so they are checked", r.ID)
			}
			for _, p := range list(r.Properties["Policies"]) {
				m, ok := p.(map[string]any)
				if !ok || m["Statement"] == nil || m["Version"] != "2012-10-17" || len(m) != 2 {
					t.Errorf("%s: policy %v is not an inline {Version: 2012-10-17, Statement: [...]} document (managed policies and SAM policy templates are not allowed)", r.ID, p)
					continue
				}
				add(r.ID, m)
			}
		case "AWS::IAM::Role":
			if r.Properties["ManagedPolicyArns"] != nil {
				t.Errorf("%s attaches managed policies; use inline statements", r.ID)
			}
			for _, p := range list(r.Properties["Policies"]) {
				add(r.ID, path(p, "PolicyDocument"))
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			t.Errorf("%s: standalone policies are not checked; put statements on their role", r.ID)
		}
	}
	return out
}

func strs(t *testing.T, v any, what string) []string {
	t.Helper()
	var out []string
	for _, e := range list(v) {
		s, ok := e.(string)
		if !ok {
			out = append(out, fmt.Sprintf("%v", e)) // an intrinsic: a resolved ARN
			continue
		}
		out = append(out, s)
	}
	return out
}

func TestIAMLeastPrivilege(t *testing.T) {
	tp := load(t)
	sts := statements(t, tp)
	if len(sts) == 0 {
		t.Fatal("no IAM statements found")
	}
	for _, st := range sts {
		name := st.owner + "/" + st.sid
		for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
			if st.doc[k] != nil {
				t.Errorf("%s uses %s", name, k)
			}
		}
		if st.doc["Effect"] != "Allow" {
			continue
		}
		actions := strs(t, st.doc["Action"], name+".Action")
		if len(actions) == 0 {
			t.Errorf("%s has no Action", name)
		}
		for _, a := range actions {
			if strings.Contains(a, "*") {
				t.Errorf("%s allows wildcard action %q", name, a)
			}
			if !regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`).MatchString(a) {
				t.Errorf("%s: action %q is not service:Operation", name, a)
			}
		}
		resources := strs(t, st.doc["Resource"], name+".Resource")
		if len(resources) == 0 {
			t.Errorf("%s has no Resource", name)
		}
		if slices.Contains(resources, "*") {
			for _, a := range actions {
				if !slices.Contains(unscopable, a) {
					t.Errorf("%s grants %s on Resource \"*\"; scope it (only %v may be unscoped)", name, a, unscopable)
				}
			}
		}
	}
}

// actionsOf derives IAM actions from the methods of an SDK interface an
// adapter declares: service + ":" + method (Lambda's Invoke is the IAM
// action InvokeFunction).
func actionsOf(service string, iface any) []string {
	typ := reflect.TypeOf(iface).Elem()
	var out []string
	for i := range typ.NumMethod() {
		m := typ.Method(i).Name
		if service == "lambda" && m == "Invoke" {
			m = "InvokeFunction"
		}
		out = append(out, service+":"+m)
	}
	return out
}

// dependency is something a function's main wires, recognised in its
// source, and the actions its SDK interface can call.
type dependency struct {
	name     string
	wired    *regexp.Regexp
	actions  []string
	services []string // aws-sdk-go-v2/service/<name> imports it explains
}

var dependencies = []dependency{
	{"store", regexp.MustCompile(`d\.Store\(\)|(releasestore|store)\.New\(dynamodb\.NewFromConfig`), actionsOf("dynamodb", (*store.DynamoDB)(nil)), []string{"dynamodb"}},
	{"shifters", regexp.MustCompile(`d\.Shifters\(\)`), append(actionsOf("lambda", (*lambdaalias.API)(nil)), actionsOf("elasticloadbalancing", (*albweights.API)(nil))...), nil},
	{"alarms", regexp.MustCompile(`d\.Alarms\(\)`), actionsOf("cloudwatch", (*cwalarms.API)(nil)), nil},
	{"hooks", regexp.MustCompile(`d\.Hooks\(`), append(actionsOf("lambda", (*hookrunner.LambdaAPI)(nil)), actionsOf("secretsmanager", (*authsm.API)(nil))...), nil},
	{"request counts", regexp.MustCompile(`d\.Requests\(\)`), actionsOf("cloudwatch", (*cwalarms.MetricsAPI)(nil)), nil},
	{"canary analysis", regexp.MustCompile(`d\.Analysis\(\)`), actionsOf("cloudwatch", (*cwalarms.MetricDataAPI)(nil)), nil},
	{"callbacks", regexp.MustCompile(`d\.Callbacks\(\)`), actionsOf("states", (*sfn.CallbackClient)(nil)), nil},
	{"loadtest results", regexp.MustCompile(`d\.LoadTestResults\(\)`), actionsOf("dynamodb", (*resultdynamo.Client)(nil)), nil},
	{"release starter", regexp.MustCompile(`sfn\.Starter\{`), actionsOf("states", (*sfn.StartClient)(nil)), []string{"sfn"}},
	{"signing secrets", regexp.MustCompile(`secretsmanager\.New\(sm\.NewFromConfig`), actionsOf("secretsmanager", (*authsm.API)(nil)), []string{"secretsmanager"}},
	{"push publisher", regexp.MustCompile(`webhook\.EventBridge\{`), actionsOf("events", (*webhook.PutEventsAPI)(nil)), []string{"eventbridge"}},
	{"job results", regexp.MustCompile(`jobworker\.Worker\{`), actionsOf("codepipeline", (*jobworker.API)(nil)), []string{"codepipeline"}},
	{"hook reporter", regexp.MustCompile(`cdhook\.Handler\{`), actionsOf("codedeploy", (*cdhook.Reporter)(nil)), []string{"codedeploy"}},
	{"schedules", regexp.MustCompile(`scheduler\.Syncer\{`), append(actionsOf("scheduler", (*scheduler.API)(nil)), "iam:PassRole"), []string{"scheduler"}},
	{"branch heads", regexp.MustCompile(`codecommit\.NewHeads\(`), actionsOf("codecommit", (*codecommit.HeadsClient)(nil)), []string{"codecommit"}},
	{"parameter store secrets", regexp.MustCompile(`ssmparam\.New\(`), actionsOf("ssm", (*ssmparam.API)(nil)), []string{"ssm"}},
	{"changed files", regexp.MustCompile(`codecommit\.Differ\{`), actionsOf("codecommit", (*codecommit.DiffClient)(nil)), []string{"codecommit"}},
	{"notification topics", regexp.MustCompile(`snspub\.Publisher\{`), actionsOf("sns", (*snspub.API)(nil)), []string{"sns"}},
	{"self invocation", regexp.MustCompile(`selfinvoke\.Sender\{`), actionsOf("lambda", (*selfinvoke.API)(nil)), []string{"lambda"}},
	// Starting synthetic traffic invokes the synthetic function
	// asynchronously (awsdeps.Deps.Synthetic); stopping it (SyntheticStops)
	// writes the table only, which the store already covers.
	{"synthetic traffic", regexp.MustCompile(`d\.Synthetic\(`), actionsOf("lambda", (*selfinvoke.API)(nil)), nil},
	// The synthetic function invokes target versions and adds to its run's
	// count: UpdateItem is the one table call of synthetic.Counter.
	{"synthetic sender", regexp.MustCompile(`synthetic\.Sender\{`), actionsOf("lambda", (*synthetic.InvokeAPI)(nil)), []string{"lambda"}},
	{"synthetic counter", regexp.MustCompile(`d\.SyntheticCounter\(\)`), []string{"dynamodb:UpdateItem"}, nil},
	// A handler of the table's stream records: Lambda's event source
	// mapping reads the stream with the function's role, and sends what it
	// gives up on to the dead-letter queue (TestStreamFeedsNotify).
	{"stream records", regexp.MustCompile(`notifystream\.Handler\{`), []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "sqs:SendMessage"}, nil},
}

// notCalled lists actions a wired dependency could call but this function
// never does, so its role leaves them out.
var notCalled = map[string][]string{
	"rollback":   {"states:SendTaskSuccess"}, // fails sibling bakes only
	"alarmwatch": {"states:SendTaskSuccess"}, // fails bakes only
	// A Lambda action gets its job in the event; polling is for custom
	// action workers.
	"codepipeline": {"codepipeline:PollForJobs", "codepipeline:AcknowledgeJob"},
	// Parameter Store is read only for "ssm:" secret ids; the template
	// passes Secrets Manager secrets.
	"webhook": {"ssm:GetParameter"},
	"slack":   {"ssm:GetParameter"},
}

var sdkImport = regexp.MustCompile(`"github\.com/aws/aws-sdk-go-v2/service/([a-z0-9]+)"`)

func TestFunctionActionsMatchTheirCode(t *testing.T) {
	tp := load(t)
	targets := buildTargets(t)
	perOwner := map[string][]string{}
	for _, st := range statements(t, tp) {
		if st.doc["Effect"] == "Allow" {
			perOwner[st.owner] = append(perOwner[st.owner], strs(t, st.doc["Action"], st.owner)...)
		}
	}
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		dir := targets[fn.ID]
		t.Run(dir, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(root, "functions", dir, "main.go"))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			explained := map[string]bool{}
			for _, d := range dependencies {
				if d.wired.Match(src) {
					for _, a := range d.actions {
						want[a] = true
					}
					for _, s := range d.services {
						explained[s] = true
					}
				}
			}
			for _, m := range sdkImport.FindAllSubmatch(src, -1) {
				if !explained[string(m[1])] {
					t.Errorf("main.go builds an aws-sdk-go-v2/service/%s client this test does not know; add its dependency and actions", m[1])
				}
			}
			for _, a := range notCalled[dir] {
				delete(want, a)
			}
			got := map[string]bool{}
			for _, a := range perOwner[fn.ID] {
				got[a] = true
			}
			var extra, missing []string
			for a := range got {
				if !want[a] {
					extra = append(extra, a)
				}
			}
			for a := range want {
				if !got[a] {
					missing = append(missing, a)
				}
			}
			sort.Strings(extra)
			sort.Strings(missing)
			if len(extra) > 0 {
				t.Errorf("%s's role allows %v, which its code does not call", fn.ID, extra)
			}
			if len(missing) > 0 {
				t.Errorf("%s's role lacks %v, which its code calls", fn.ID, missing)
			}
		})
	}
}

// TestStateMachinesInvokeOnlyTheirFunctions checks that each state
// machine's role may invoke exactly the functions its definition names.
func TestStateMachinesInvokeOnlyTheirFunctions(t *testing.T) {
	tp := load(t)
	for _, sm := range tp.ofType("AWS::Serverless::StateMachine") {
		want := map[string]bool{}
		subs, _ := sm.Properties["DefinitionSubstitutions"].(map[string]any)
		for k, v := range subs {
			if strings.HasSuffix(k, "FunctionArn") {
				if l := list(path(v, "Fn::GetAtt")); len(l) > 0 {
					want[describe(l[0])] = true
				}
			}
		}
		got := map[string]bool{}
		for _, st := range statements(t, tp) {
			if st.owner != sm.ID || !slices.Contains(strs(t, st.doc["Action"], ""), "lambda:InvokeFunction") {
				continue
			}
			for _, r := range list(st.doc["Resource"]) {
				l := list(path(r, "Fn::GetAtt"))
				if len(l) == 0 {
					t.Errorf("%s may invoke %v, which is not a template function's ARN", sm.ID, r)
					continue
				}
				got[describe(l[0])] = true
			}
		}
		if g, w := sortedKeys(got), sortedKeys(want); !slices.Equal(g, w) {
			t.Errorf("%s may invoke %v, its definition calls %v", sm.ID, g, w)
		}
	}
}
