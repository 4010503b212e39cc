package template_test

import (
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/rules"
)

// TestShipwaveEventsHaveTheirOwnBus: rules.json's shipwave.* rules listen
// on the stack's EventBus and AWS-sourced ones on the default bus; the
// webhook function publishes on EventBus only; and the bus's policy denies
// PutEvents to every principal but the webhook function's role.
func TestShipwaveEventsHaveTheirOwnBus(t *testing.T) {
	tp := load(t)
	all, err := rules.All()
	if err != nil {
		t.Fatal(err)
	}
	bus := map[string]string{}
	for _, r := range all {
		bus[r.LogicalID] = r.Bus
	}
	onBus := 0
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		events, _ := fn.Properties["Events"].(map[string]any)
		for _, id := range sortedKeys(events) {
			if path(events[id], "Type") != "EventBridgeRule" {
				continue
			}
			got := canonical(t, path(events[id], "Properties", "EventBusName"))
			switch bus[id] {
			case rules.BusShipwave:
				onBus++
				if got != `{"Ref":"EventBus"}` {
					t.Errorf("%s.%s (bus %q in rules.json) has EventBusName %s, want !Ref EventBus", fn.ID, id, bus[id], got)
				}
			default:
				if got != "null" {
					t.Errorf("%s.%s listens for AWS events, which arrive on the default bus, but has EventBusName %s", fn.ID, id, got)
				}
			}
		}
	}
	if onBus == 0 {
		t.Error("no rule listens on EventBus")
	}

	if typ := tp.resources["EventBus"].Type; typ != "AWS::Events::EventBus" {
		t.Fatalf("EventBus is %q, want AWS::Events::EventBus", typ)
	}
	pol := tp.ofType("AWS::Events::EventBusPolicy")
	if len(pol) != 1 {
		t.Fatalf("got %d event bus policies, want 1", len(pol))
	}
	p := pol[0].Properties
	st := path(p, "Statement")
	if canonical(t, p["EventBusName"]) != `{"Ref":"EventBus"}` || path(st, "Effect") != "Deny" || path(st, "Principal") != "*" ||
		path(st, "Action") != "events:PutEvents" || canonical(t, path(st, "Resource")) != `{"Fn::GetAtt":["EventBus","Arn"]}` ||
		canonical(t, path(st, "Condition")) != `{"ArnNotEquals":{"aws:PrincipalArn":{"Fn::GetAtt":["WebhookFunctionRole","Arn"]}}}` {
		t.Errorf("bus policy = %s, want Deny events:PutEvents on EventBus to every principal but WebhookFunctionRole", canonical(t, p))
	}

	wh := tp.resources["WebhookFunction"]
	if got := canonical(t, path(wh.Properties, "Environment", "Variables", "EVENT_BUS_NAME")); got != `{"Ref":"EventBus"}` {
		t.Errorf("WebhookFunction EVENT_BUS_NAME = %s, want !Ref EventBus", got)
	}
	for _, s := range statements(t, tp) {
		if !strings.Contains(canonical(t, s.doc["Action"]), "events:PutEvents") {
			continue
		}
		if s.owner != "WebhookFunction" || canonical(t, s.doc["Resource"]) != `[{"Fn::GetAtt":["EventBus","Arn"]}]` {
			t.Errorf("%s %s grants events:PutEvents on %s; only WebhookFunction may publish, on EventBus", s.owner, s.sid, canonical(t, s.doc["Resource"]))
		}
	}
	tr := tp.resources["TriggerFunction"]
	if got := canonical(t, path(tr.Properties, "Environment", "Variables", "EVENT_ACCOUNT")); got != `{"Ref":"AWS::AccountId"}` {
		t.Errorf("TriggerFunction EVENT_ACCOUNT = %s, want the stack's own account", got)
	}
}

// maxStackName is the longest stack name whose state machine names stay
// within Step Functions' 80 characters (docs/deploying.md says so).
const maxStackName = 72

// TestStateMachineNames: the release and deploy machines have stable names
// that the execution-status-change rule matches, within 80 characters for
// any stack name up to maxStackName.
func TestStateMachineNames(t *testing.T) {
	tp := load(t)
	all, err := rules.All()
	if err != nil {
		t.Fatal(err)
	}
	var reconcile rules.Rule
	for _, r := range all {
		if r.Name == "execution-status-change" {
			reconcile = r
		}
	}
	stack := strings.Repeat("s", maxStackName)
	for id, suffix := range map[string]string{"ReleaseStateMachine": "-release", "DeployStateMachine": "-deploy"} {
		name, _ := path(tp.resources[id].Properties, "Name", "Fn::Sub").(string)
		if name != "${AWS::StackName}"+suffix {
			t.Errorf("%s Name = %v, want !Sub ${AWS::StackName}%s", id, tp.resources[id].Properties["Name"], suffix)
			continue
		}
		full := strings.ReplaceAll(name, "${AWS::StackName}", stack)
		if len(full) > 80 {
			t.Errorf("%s: name %d characters for a %d-character stack name, over 80", id, len(full), maxStackName)
		}
		ev := `{"source":"aws.states","detail-type":"Step Functions Execution Status Change","detail":{"status":"FAILED","stateMachineArn":"arn:aws:states:eu-west-1:123456789012:stateMachine:` + full + `"}}`
		if !reconcile.Match([]byte(ev)) {
			t.Errorf("the execution-status-change rule does not match a failed execution of %s (%s)", id, full)
		}
	}
}

// TestTargetPermissionsAreScoped: every statement that lets a role change
// or invoke Lambda functions or rewrite ALB listeners is scoped to the
// ManagedFunctionPrefix, or, where that is empty, to resources tagged
// shipwave:stack=<stack>; the ALB ones always by tag.
func TestTargetPermissionsAreScoped(t *testing.T) {
	tp := load(t)
	tagCond := `{"StringEquals":{"aws:ResourceTag/shipwave:stack":{"Ref":"AWS::StackName"}}}`
	prefixOrTag := `{"Fn::If":["HasFunctionPrefix",{"Ref":"AWS::NoValue"},` + tagCond + `]}`
	scoped := 0
	for _, s := range statements(t, tp) {
		actions := canonical(t, s.doc["Action"])
		res := canonical(t, s.doc["Resource"])
		cond := canonical(t, s.doc["Condition"])
		switch {
		case strings.Contains(actions, "lambda:UpdateAlias") || strings.Contains(actions, "lambda:PublishVersion") ||
			strings.Contains(actions, "lambda:InvokeFunction") && strings.Contains(res, "${ManagedFunctionPrefix}"):
			scoped++
			if !strings.Contains(res, "function:${ManagedFunctionPrefix}*") || cond != prefixOrTag {
				t.Errorf("%s %s: Lambda targets on %s with condition %s; want function:${ManagedFunctionPrefix}* and, without a prefix, the shipwave:stack tag", s.owner, s.sid, res, cond)
			}
		case strings.Contains(actions, "elasticloadbalancing:Modify"):
			scoped++
			if cond != tagCond {
				t.Errorf("%s %s: ALB changes with condition %s, want %s", s.owner, s.sid, cond, tagCond)
			}
		case strings.Contains(actions, "lambda:InvokeFunction"):
			if strings.Contains(res, "*") {
				t.Errorf("%s %s invokes %s; name the functions", s.owner, s.sid, res)
			}
		}
	}
	if scoped < 10 {
		t.Errorf("only %d target statements found; the test's patterns may be stale", scoped)
	}
	if d := path(tp.parameters["ManagedFunctionPrefix"], "Default"); d != "" {
		t.Errorf("ManagedFunctionPrefix default = %v; the tag scoping is what an empty prefix means", d)
	}
}

// TestStatefulResourcesAreRetained: deleting or replacing the stack keeps
// the table, every secret (a new webhook or Slack secret would break every
// integration) and every log group.
func TestStatefulResourcesAreRetained(t *testing.T) {
	tp := load(t)
	res, _ := tp.raw["Resources"].(map[string]any)
	n := 0
	for _, id := range sortedKeys(res) {
		m, _ := res[id].(map[string]any)
		switch m["Type"] {
		case "AWS::DynamoDB::Table", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup":
			n++
			if m["DeletionPolicy"] != "Retain" || m["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s (%s): DeletionPolicy %v, UpdateReplacePolicy %v; want Retain for both", id, m["Type"], m["DeletionPolicy"], m["UpdateReplacePolicy"])
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d stateful resources found", n)
	}
}

// TestLoadTestsNeedNetworking: the api function learns whether the stack
// has load-test networking, so it can refuse loadTest specs on save.
func TestLoadTestsNeedNetworking(t *testing.T) {
	tp := load(t)
	got := canonical(t, path(tp.resources["ApiFunction"].Properties, "Environment", "Variables", "LOAD_TESTS"))
	if got != `{"Fn::If":["HasLoadTestNetwork","enabled","disabled"]}` {
		t.Errorf("ApiFunction LOAD_TESTS = %s", got)
	}
	cond := canonical(t, path(tp.raw["Conditions"], "HasLoadTestNetwork"))
	for _, p := range []string{"LoadTestSubnet", "LoadTestSecurityGroup"} {
		if !strings.Contains(cond, `{"Ref":"`+p+`"}`) || !strings.Contains(cond, "Fn::And") {
			t.Errorf("HasLoadTestNetwork = %s, want both LoadTestSubnet and LoadTestSecurityGroup set", cond)
		}
	}
}
