package template_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/rules"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/statemachines"
	"github.com/shipwave/shipwave/tests/template"
)

func TestParseIntrinsics(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string
		wantErr string
	}{
		{"ref", "a: !Ref Table", `{"a":{"Ref":"Table"}}`, ""},
		{"getatt scalar", "a: !GetAtt Table.Arn", `{"a":{"Fn::GetAtt":["Table","Arn"]}}`, ""},
		{"getatt list", "a: !GetAtt [Table, Arn]", `{"a":{"Fn::GetAtt":["Table","Arn"]}}`, ""},
		{"sub", "a: !Sub '${Table.Arn}/index/*'", `{"a":{"Fn::Sub":"${Table.Arn}/index/*"}}`, ""},
		{"if nested", "a: !If [C, !Ref X, !Ref Y]", `{"a":{"Fn::If":["C",{"Ref":"X"},{"Ref":"Y"}]}}`, ""},
		{"equals", "c: !Equals [!Ref P, '']", `{"c":{"Fn::Equals":[{"Ref":"P"},""]}}`, ""},
		{"join", "a: !Join ['', [x, y]]", `{"a":{"Fn::Join":["",["x","y"]]}}`, ""},
		{"unknown tag", "a: !Bogus x", "", "line 1: unknown tag !Bogus"},
		{"bad getatt", "a: !GetAtt Table", "", "want Resource.Attribute"},
		{"duplicate key", "a: 1\na: 2", "", "duplicate key"},
		{"not a mapping", "- a", "", "not a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := template.Parse([]byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := canonical(t, got); c != tt.want {
				t.Errorf("Parse = %s, want %s", c, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(root, "template.yaml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("a: !If [C, !Ref X, !GetAtt Y.Z]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = template.Parse(data) // must not panic
	})
}

func TestEveryReferenceResolves(t *testing.T) {
	tp := load(t)
	names, conds := map[string]bool{}, map[string]bool{}
	refs(tp.raw["Resources"], names, conds)
	refs(tp.raw["Outputs"], names, conds)
	refs(tp.raw["Globals"], names, conds)
	declaredConds, _ := tp.raw["Conditions"].(map[string]any)
	for _, r := range tp.resources {
		if r.Condition != "" {
			conds[r.Condition] = true
		}
	}
	// SAM generates <LogicalId>Role for a function or state machine that
	// names no Role.
	generated := map[string]bool{}
	for _, typ := range []string{"AWS::Serverless::Function", "AWS::Serverless::StateMachine"} {
		for _, r := range tp.ofType(typ) {
			if r.Properties["Role"] == nil {
				generated[r.ID+"Role"] = true
			}
		}
	}
	for _, n := range sortedKeys(names) {
		_, isParam := tp.parameters[n]
		_, isRes := tp.resources[n]
		if !isParam && !isRes && !generated[n] && !strings.HasPrefix(n, "AWS::") {
			t.Errorf("template refers to %q, which is no parameter, resource or pseudo parameter", n)
		}
	}
	for _, c := range sortedKeys(conds) {
		if _, ok := declaredConds[c]; !ok {
			t.Errorf("condition %q is used but not declared", c)
		}
	}
	for _, p := range sortedKeys(tp.parameters) {
		if !names[p] {
			t.Errorf("parameter %s is never used", p)
		}
		if d, _ := path(tp.parameters[p], "Description").(string); d == "" {
			t.Errorf("parameter %s has no Description", p)
		}
	}
}

func TestFunctionDefaults(t *testing.T) {
	tp := load(t)
	g := tp.globals
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"Runtime", g["Runtime"], "provided.al2023"},
		{"Architectures", g["Architectures"], "[arm64]"},
		{"Handler", g["Handler"], "bootstrap"},
		{"Tracing", g["Tracing"], "Active"},
		{"LoggingConfig.LogFormat", path(g, "LoggingConfig", "LogFormat"), "JSON"},
		{"Environment TABLE_NAME", path(g, "Environment", "Variables", "TABLE_NAME"), "map[Ref:Table]"},
	}
	for _, c := range checks {
		if got := describe(c.got); got != c.want {
			t.Errorf("Globals.Function.%s = %s, want %s", c.name, got, c.want)
		}
	}
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		for _, k := range []string{"Runtime", "Architectures", "Handler", "Tracing"} {
			if v, ok := fn.Properties[k]; ok {
				t.Errorf("%s overrides %s (%v); the Globals must hold", fn.ID, k, v)
			}
		}
		if path(fn.Properties, "LoggingConfig", "LogGroup") == nil {
			t.Errorf("%s has no LoggingConfig.LogGroup (retention)", fn.ID)
		}
	}
}

func TestFunctionsBuild(t *testing.T) {
	tp := load(t)
	targets := buildTargets(t)
	fns := tp.ofType("AWS::Serverless::Function")
	if len(fns) == 0 {
		t.Fatal("no functions in the template")
	}
	built := map[string]string{} // dir → logical id
	for _, fn := range fns {
		if bm, _ := fn.Metadata["BuildMethod"].(string); bm != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod = %q, want makefile", fn.ID, bm)
		}
		dir, ok := targets[fn.ID]
		if !ok {
			t.Errorf("%s: the Makefile has no build-%s target", fn.ID, fn.ID)
			continue
		}
		if other, dup := built[dir]; dup {
			t.Errorf("functions/%s is built by both %s and %s", dir, other, fn.ID)
		}
		built[dir] = fn.ID
		if _, err := os.Stat(filepath.Join(root, "functions", dir, "main.go")); err != nil {
			t.Errorf("%s: functions/%s/main.go: %v", fn.ID, dir, err)
		}
	}
	for id := range targets {
		if r, ok := tp.resources[id]; !ok || r.Type != "AWS::Serverless::Function" {
			t.Errorf("Makefile target build-%s has no function in the template", id)
		}
	}
	var pkgs []string
	for _, d := range functionDirs(t) {
		if _, ok := built[d]; !ok {
			t.Errorf("functions/%s is not deployed by template.yaml", d)
		}
		pkgs = append(pkgs, "./functions/"+d)
	}
	// Every function builds for the Lambda platform exactly as the
	// Makefile builds it, and its stripped bootstrap fits the size budget.
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	args := append([]string{"build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out + "/"}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v for linux/arm64: %v\n%s", pkgs, err, msg)
	}
	for _, d := range functionDirs(t) {
		fi, err := os.Stat(filepath.Join(out, d))
		if err != nil {
			t.Errorf("functions/%s: no binary: %v", d, err)
			continue
		}
		if fi.Size() >= maxBootstrap {
			t.Errorf("functions/%s: stripped bootstrap is %d bytes, over the %d-byte budget (docs/benchmarks.md)", d, fi.Size(), maxBootstrap)
		}
	}
}

// maxBootstrap is the size budget of one function's stripped bootstrap.
const maxBootstrap = 15_000_000

func TestAsyncSourcesHaveDeadLetters(t *testing.T) {
	tp := load(t)
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		events, _ := fn.Properties["Events"].(map[string]any)
		async := false
		for _, id := range sortedKeys(events) {
			if path(events[id], "Type") != "EventBridgeRule" {
				continue
			}
			async = true
			if path(events[id], "Properties", "DeadLetterConfig", "Arn") == nil {
				t.Errorf("%s.%s: EventBridge target has no DeadLetterConfig", fn.ID, id)
			}
			if path(events[id], "Properties", "RetryPolicy") == nil {
				t.Errorf("%s.%s: EventBridge target has no RetryPolicy", fn.ID, id)
			}
		}
		if async {
			if path(fn.Properties, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination") == nil {
				t.Errorf("%s is invoked asynchronously but has no on-failure destination", fn.ID)
			}
			if fn.Properties["ReservedConcurrentExecutions"] == nil {
				t.Errorf("%s is event-driven but has no reserved concurrency to protect the table", fn.ID)
			}
		}
	}
}

// dummyARNs gives every placeholder a syntactically right value.
func dummyARN(name string) string {
	switch {
	case strings.HasSuffix(name, "FunctionArn"):
		return "arn:aws:lambda:us-east-1:123456789012:function:shipwave-" + strings.TrimSuffix(name, "FunctionArn")
	case strings.HasSuffix(name, "StateMachineArn"):
		return "arn:aws:states:us-east-1:123456789012:stateMachine:shipwave-" + strings.TrimSuffix(name, "StateMachineArn")
	case name == "LoadTestClusterArn":
		return "arn:aws:ecs:us-east-1:123456789012:cluster/shipwave"
	case name == "LoadTestTaskDefinitionArn":
		return "arn:aws:ecs:us-east-1:123456789012:task-definition/shipwave-loadgen:1"
	case name == "LoadTestSubnets":
		return "subnet-0123456789abcdef0"
	case name == "LoadTestSecurityGroup":
		return "sg-0123456789abcdef0"
	}
	return "dummy-" + name
}

func aslValidator(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SHIPWAVE_NODE_BIN")
	if dir == "" {
		dir = filepath.Join(root, "node_modules", ".bin")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "asl-validator"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("asl-validator is required (npm ci installs it): %v", err)
	}
	return bin
}

func TestStateMachines(t *testing.T) {
	tp := load(t)
	validator := aslValidator(t)
	sms := tp.ofType("AWS::Serverless::StateMachine")
	seen := map[string]bool{}
	for _, sm := range sms {
		t.Run(sm.ID, func(t *testing.T) {
			uri := mustString(t, sm.Properties["DefinitionUri"], sm.ID+".DefinitionUri")
			dir, file := filepath.Split(uri)
			if dir != "statemachines/" {
				t.Fatalf("DefinitionUri %s is not under statemachines/", uri)
			}
			seen[file] = true
			raw, err := statemachines.Raw(file)
			if err != nil {
				t.Fatal(err)
			}
			subs, _ := sm.Properties["DefinitionSubstitutions"].(map[string]any)
			used := statemachines.Placeholders(raw)
			for _, p := range used {
				if _, ok := subs[p]; !ok {
					t.Errorf("placeholder ${%s} of %s has no DefinitionSubstitutions value", p, file)
				}
			}
			values := map[string]string{}
			for _, k := range sortedKeys(subs) {
				if !slices.Contains(used, k) {
					t.Errorf("DefinitionSubstitutions.%s is not used by %s", k, file)
				}
				values[k] = dummyARN(k)
				checkSubstitution(t, tp, k, subs[k])
			}
			def, err := statemachines.Substitute(raw, values)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := states.Parse(def); err != nil {
				t.Errorf("states.Parse(%s): %v", file, err)
			}
			tmp := filepath.Join(t.TempDir(), file)
			if err := os.WriteFile(tmp, def, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(validator, "--json-path", tmp)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Errorf("asl-validator %s: %v\n%s", file, err, out.String())
			}
			if path(sm.Properties, "Tracing", "Enabled") != true {
				t.Errorf("Tracing.Enabled is not true")
			}
			if lvl, _ := path(sm.Properties, "Logging", "Level").(string); lvl == "" || lvl == "OFF" {
				t.Errorf("Logging.Level = %q, want logging on", lvl)
			}
			if len(list(path(sm.Properties, "Logging", "Destinations"))) == 0 {
				t.Errorf("Logging has no Destinations")
			}
		})
	}
	for _, name := range statemachines.All() {
		if !seen[name] {
			t.Errorf("statemachines/%s is not deployed by template.yaml", name)
		}
	}
}

// checkSubstitution checks that a substitution points at the right kind
// of resource: a function's ARN, a state machine's, or a parameter.
func checkSubstitution(t *testing.T, tp *tmpl, key string, v any) {
	t.Helper()
	target := func() (resource, bool) {
		names, conds := map[string]bool{}, map[string]bool{}
		refs(v, names, conds)
		for n := range names {
			if r, ok := tp.resources[n]; ok {
				return r, true
			}
		}
		return resource{}, false
	}
	r, ok := target()
	switch {
	case strings.HasSuffix(key, "FunctionArn"):
		if !ok || r.Type != "AWS::Serverless::Function" || path(v, "Fn::GetAtt") == nil {
			t.Errorf("DefinitionSubstitutions.%s = %v, want !GetAtt <Function>.Arn", key, v)
		}
		if ok && strings.TrimSuffix(key, "Arn") != r.ID {
			t.Errorf("DefinitionSubstitutions.%s points at %s, want %s", key, r.ID, strings.TrimSuffix(key, "Arn"))
		}
	case strings.HasSuffix(key, "StateMachineArn"):
		if !ok || r.Type != "AWS::Serverless::StateMachine" || strings.TrimSuffix(key, "Arn") != r.ID {
			t.Errorf("DefinitionSubstitutions.%s = %v, want !Ref %s", key, v, strings.TrimSuffix(key, "Arn"))
		}
	}
}

func TestRulesEqualSharedRules(t *testing.T) {
	tp := load(t)
	all, err := rules.All()
	if err != nil {
		t.Fatal(err)
	}
	targets := buildTargets(t)
	byID := map[string]rules.Rule{}
	for _, r := range all {
		byID[r.LogicalID] = r
	}
	found := map[string]bool{}
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		events, _ := fn.Properties["Events"].(map[string]any)
		for _, id := range sortedKeys(events) {
			if path(events[id], "Type") != "EventBridgeRule" {
				continue
			}
			t.Run(id, func(t *testing.T) {
				r, ok := byID[id]
				if !ok {
					t.Fatalf("%s.%s is not in shared/rules/rules.json", fn.ID, id)
				}
				found[id] = true
				if targets[fn.ID] != r.Target {
					t.Errorf("rule %s goes to %s (functions/%s), rules.json says functions/%s", r.Name, fn.ID, targets[fn.ID], r.Target)
				}
				pattern := path(events[id], "Properties", "Pattern")
				var want any
				if err := jsonUnmarshal(r.Pattern, &want); err != nil {
					t.Fatal(err)
				}
				if got, w := canonical(t, pattern), canonical(t, want); got != w {
					t.Errorf("pattern differs from rules.json:\ntemplate:   %s\nrules.json: %s", got, w)
				}
				state := path(events[id], "Properties", "State")
				switch {
				case r.Enabled && state != nil && state != "ENABLED":
					t.Errorf("rule %s is enabled in rules.json but State = %v", r.Name, state)
				case !r.Enabled:
					ref, _ := path(state, "Ref").(string)
					def := path(tp.parameters[ref], "Default")
					if state != "DISABLED" && def != "DISABLED" {
						t.Errorf("rule %s is disabled by default in rules.json but State = %v (default %v)", r.Name, state, def)
					}
				}
				// The template's own pattern, compiled by the local bus's
				// matcher, routes the samples as rules.json says.
				p, err := rules.Compile([]byte(canonical(t, pattern)))
				if err != nil {
					t.Fatalf("template pattern does not compile: %v", err)
				}
				for _, name := range r.Samples.Match {
					if !p.Match(readSample(t, name)) {
						t.Errorf("template pattern of %s does not match events/%s", id, name)
					}
				}
				for _, name := range r.Samples.NoMatch {
					if p.Match(readSample(t, name)) {
						t.Errorf("template pattern of %s matches events/%s", id, name)
					}
				}
			})
		}
	}
	for _, r := range all {
		if !found[r.LogicalID] {
			t.Errorf("rules.json rule %s (%s) is missing from template.yaml", r.Name, r.LogicalID)
		}
	}
	if n := len(tp.ofType("AWS::Events::Rule")); n != 0 {
		t.Errorf("template has %d AWS::Events::Rule resources; declare rules as function Events so they are checked here", n)
	}
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTableEqualsSharedDefinition(t *testing.T) {
	tp := load(t)
	tables := tp.ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("template has %d tables, want 1", len(tables))
	}
	p := tables[0].Properties
	def := store.TableDefinition("x")
	var attrs []any
	for _, a := range def.AttributeDefinitions {
		attrs = append(attrs, map[string]any{"AttributeName": *a.AttributeName, "AttributeType": string(a.AttributeType)})
	}
	keys := func(ks []struct{ n, t string }) []any {
		var out []any
		for _, k := range ks {
			out = append(out, map[string]any{"AttributeName": k.n, "KeyType": k.t})
		}
		return out
	}
	var key []struct{ n, t string }
	for _, k := range def.KeySchema {
		key = append(key, struct{ n, t string }{*k.AttributeName, string(k.KeyType)})
	}
	var gsis []any
	for _, g := range def.GlobalSecondaryIndexes {
		var ks []struct{ n, t string }
		for _, k := range g.KeySchema {
			ks = append(ks, struct{ n, t string }{*k.AttributeName, string(k.KeyType)})
		}
		gsis = append(gsis, map[string]any{"IndexName": *g.IndexName, "KeySchema": keys(ks),
			"Projection": map[string]any{"ProjectionType": string(g.Projection.ProjectionType)}})
	}
	sortByName := func(l []any, field string) []any {
		out := slices.Clone(l)
		slices.SortFunc(out, func(a, b any) int { return strings.Compare(describe(path(a, field)), describe(path(b, field))) })
		return out
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"AttributeDefinitions", sortByName(list(p["AttributeDefinitions"]), "AttributeName"), sortByName(attrs, "AttributeName")},
		{"KeySchema", p["KeySchema"], keys(key)},
		{"GlobalSecondaryIndexes", sortByName(list(p["GlobalSecondaryIndexes"]), "IndexName"), sortByName(gsis, "IndexName")},
		{"BillingMode", p["BillingMode"], string(def.BillingMode)},
		{"PointInTimeRecovery", path(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), true},
		{"SSE", path(p, "SSESpecification", "SSEEnabled"), true},
		{"TTL attribute", path(p, "TimeToLiveSpecification", "AttributeName"), *store.TimeToLive("x").TimeToLiveSpecification.AttributeName},
		{"TTL enabled", path(p, "TimeToLiveSpecification", "Enabled"), true},
	}
	for _, c := range checks {
		if g, w := canonical(t, c.got), canonical(t, c.want); g != w {
			t.Errorf("table %s = %s, want %s (store.TableDefinition)", c.name, g, w)
		}
	}
}

func TestSamconfigEnvironments(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"default", "dev", "prod"} {
		for _, section := range []string{"global", "deploy"} {
			if !bytes.Contains(b, []byte("["+env+"."+section+".parameters]")) {
				t.Errorf("samconfig.toml has no [%s.%s.parameters]", env, section)
			}
		}
	}
}

// TestEmbeddedJSON checks the JSON documents the template embeds as
// strings (dashboard body, access log format, ECR lifecycle policy) parse
// once their ${…} substitutions are filled.
func TestEmbeddedJSON(t *testing.T) {
	tp := load(t)
	docs := map[string]any{
		"Dashboard.DashboardBody":           path(tp.resources["Dashboard"].Properties, "DashboardBody", "Fn::Sub"),
		"HttpApi.AccessLogSettings.Format":  path(tp.resources["HttpApi"].Properties, "AccessLogSettings", "Format"),
		"LoadGenRepository.LifecyclePolicy": path(tp.resources["LoadGenRepository"].Properties, "LifecyclePolicy", "LifecyclePolicyText"),
	}
	for name, v := range docs {
		s, ok := v.(string)
		if !ok {
			t.Errorf("%s = %v, want a JSON string", name, v)
			continue
		}
		filled := subVar.ReplaceAllString(s, "x")
		if !json.Valid([]byte(filled)) {
			t.Errorf("%s is not valid JSON after substitution:\n%s", name, filled)
		}
	}
	names, conds := map[string]bool{}, map[string]bool{}
	refs(tp.resources["Dashboard"].Properties, names, conds)
	for _, want := range []string{"ReleaseStateMachine", "DeployStateMachine", "DeadLetterQueue"} {
		if !names[want] {
			t.Errorf("dashboard does not show %s", want)
		}
	}
	body, _ := docs["Dashboard.DashboardBody"].(string)
	for _, m := range []string{observe.ReleasesStarted, observe.ReleasesSucceeded, observe.ReleasesRolledBack, observe.LeadTimeSeconds,
		observe.RollbackDurationSeconds, observe.BakePassed, observe.BakeFailed} {
		if !strings.Contains(body, `MetricName=\"`+m+`\"`) || !strings.Contains(body, "{"+observe.Namespace+",Pipeline}") {
			t.Errorf("dashboard has no widget for metric %s", m)
		}
	}
}

// signatureVerified are the functions whose HTTP routes skip IAM because
// the function itself verifies the caller's signature before acting.
var signatureVerified = []string{"WebhookFunction", "SlackFunction", "AlexaFunction"}

func TestHTTPRoutesAreAuthorized(t *testing.T) {
	tp := load(t)
	api := tp.resources["HttpApi"]
	if path(api.Properties, "Auth", "EnableIamAuthorizer") != true || path(api.Properties, "Auth", "DefaultAuthorizer") != "AWS_IAM" {
		t.Errorf("HttpApi.Auth = %v, want EnableIamAuthorizer true and DefaultAuthorizer AWS_IAM", api.Properties["Auth"])
	}
	routes := 0
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		events, _ := fn.Properties["Events"].(map[string]any)
		for _, id := range sortedKeys(events) {
			if path(events[id], "Type") != "HttpApi" {
				continue
			}
			routes++
			auth := path(events[id], "Properties", "Auth", "Authorizer")
			switch {
			case auth == "NONE" && !slices.Contains(signatureVerified, fn.ID):
				t.Errorf("%s.%s is open (Authorizer NONE) but %s does not verify signatures", fn.ID, id, fn.ID)
			case auth != "NONE" && auth != nil && auth != "AWS_IAM":
				t.Errorf("%s.%s: Authorizer %v, want AWS_IAM (default) or NONE", fn.ID, id, auth)
			}
			if ref := path(events[id], "Properties", "ApiId", "Ref"); ref != "HttpApi" {
				t.Errorf("%s.%s is not on HttpApi (ApiId %v)", fn.ID, id, ref)
			}
		}
	}
	if routes == 0 {
		t.Error("no HttpApi routes")
	}
}

// optionalEnv are variables functions read but may go without: Lambda sets
// the first two; the rest have defaults.
var optionalEnv = []string{
	"AWS_XRAY_DAEMON_ADDRESS", "AWS_LAMBDA_FUNCTION_NAME", // set by Lambda itself
	"MAX_WAIT", "EVENT_BUS_NAME", "SECRET_TTL",
	"SMOKE_REQUESTS", "LOADTEST_RPS", "LOADTEST_HOLD_FOR", "LOADTEST_P99", "LOADTEST_MAX_ERROR_RATE",
}

var (
	envRead = regexp.MustCompile(`[eE]nv[A-Za-z]*\("([A-Z][A-Z0-9_]+)"`)
	envList = regexp.MustCompile(`awsdeps\.Env\(getenv((?:, "[A-Z][A-Z0-9_]+")+)\)`)
	// envLoad is awsdeps.Load, which reads awsdeps.Settings (TABLE_NAME and
	// the optional AWS_XRAY_DAEMON_ADDRESS) and the extra names it is given.
	envLoad    = regexp.MustCompile(`awsdeps\.Load\(ctx, "[a-z-]+", getenv, logger((?:, "[A-Z][A-Z0-9_]+")*)\)`)
	quotedName = regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`)
)

// TestFunctionEnvironment checks that the template sets every variable a
// function's main reads, so no function fails at start-up once deployed.
func TestFunctionEnvironment(t *testing.T) {
	tp := load(t)
	targets := buildTargets(t)
	global, _ := path(tp.globals, "Environment", "Variables").(map[string]any)
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		dir := targets[fn.ID]
		src, err := os.ReadFile(filepath.Join(root, "functions", dir, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		read := map[string]bool{}
		for _, m := range envRead.FindAllSubmatch(src, -1) {
			read[string(m[1])] = true
		}
		for _, m := range envList.FindAllSubmatch(src, -1) {
			for _, q := range quotedName.FindAllSubmatch(m[1], -1) {
				read[string(q[1])] = true
			}
		}
		for _, m := range envLoad.FindAllSubmatch(src, -1) {
			read["TABLE_NAME"] = true
			for _, q := range quotedName.FindAllSubmatch(m[1], -1) {
				read[string(q[1])] = true
			}
		}
		if len(read) == 0 {
			t.Errorf("functions/%s/main.go reads no environment; the test's patterns may be stale", dir)
		}
		vars, _ := path(fn.Properties, "Environment", "Variables").(map[string]any)
		for _, name := range sortedKeys(read) {
			_, local := vars[name]
			_, inGlobal := global[name]
			if !local && !inGlobal && !slices.Contains(optionalEnv, name) {
				t.Errorf("%s (functions/%s) reads %s, which the template does not set", fn.ID, dir, name)
			}
		}
		for _, name := range sortedKeys(vars) {
			if !read[name] {
				t.Errorf("%s sets %s, which functions/%s does not read", fn.ID, name, dir)
			}
		}
	}
}

// TestMakeTargetsBuildIntoArtifactsDir runs each build-<LogicalId> target
// as sam build does (make -n, ARTIFACTS_DIR set) and checks it writes the
// right package's bootstrap there, for linux/arm64, without CGO.
func TestMakeTargetsBuildIntoArtifactsDir(t *testing.T) {
	targets := buildTargets(t)
	if len(targets) == 0 {
		t.Fatal("no build-<LogicalId> targets in the Makefile")
	}
	// --no-print-directory: under `make test` this make is a sub-make and
	// would otherwise announce the directory it enters.
	args := []string{"-n", "--no-print-directory", "ARTIFACTS_DIR=/artifacts"}
	for _, id := range sortedKeys(targets) {
		args = append(args, "build-"+id)
	}
	cmd := exec.Command("make", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(targets) {
		t.Fatalf("make -n printed %d commands for %d targets:\n%s", len(lines), len(targets), out)
	}
	for i, id := range sortedKeys(targets) {
		line := lines[i]
		for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "-tags lambda.norpc", "-trimpath", "-o /artifacts/bootstrap ./functions/" + targets[id]} {
			if !strings.Contains(line, want) {
				t.Errorf("build-%s runs %q, want it to contain %q", id, line, want)
			}
		}
		if !strings.HasSuffix(line, "./functions/"+targets[id]) {
			t.Errorf("build-%s builds %q, want ./functions/%s last", id, line, targets[id])
		}
	}
}
