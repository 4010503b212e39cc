package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/mock"
	"github.com/shipwave/shipwave/statemachines"
)

// cliResult is what one CLI invocation printed and its exit status.
type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t testing.TB, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	err := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit: %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

func checkGolden(t testing.TB, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "states", name+".golden"), []byte(got))
}

const td = "testdata/states/"

func TestStatesGolden(t *testing.T) {
	start := "--start-time=2024-03-14T01:59:00Z"
	tests := []struct {
		name  string
		stdin string
		args  []string
	}{
		{name: "run-succeeded", args: []string{"states", "run", "--definition", td + "hello.asl.json", "--input", "@" + td + "hello.input.json"}},
		{name: "run-input-stdin", stdin: `{"name":"stdin"}`, args: []string{"states", "run", "--definition", td + "hello.asl.json", "--input", "@-"}},
		{name: "run-default-input", args: []string{"states", "run", "--definition", td + "succeed.asl.json"}},
		{name: "run-text", args: []string{"states", "run", "--definition", td + "hello.asl.json", "--input", `{"name":"text"}`, "--format", "text", "--history", start}},
		{name: "run-history-json", args: []string{"states", "run", "--definition", td + "hello.asl.json", "--input", `{"name":"history"}`, "--history", start, "--name", "golden"}},
		{name: "run-mock-happy", args: []string{"states", "run", "--definition", td + "orders.asl.json", "--input", `{"id":"o-1"}`, "--mock-config", td + "orders.mock.json", "--test-case", "HappyPath"}},
		{name: "run-mock-retried", args: []string{"states", "run", "--definition", td + "orders.asl.json", "--input", `{"id":"o-2"}`, "--mock-config", td + "orders.mock.json", "--test-case", "Throttled", "--state-machine", "orders"}},
		{name: "run-mock-caught-then-failed", args: []string{"states", "run", "--definition", td + "orders.asl.json", "--input", `{"id":"o-3"}`, "--mock-config", td + "orders.mock.json", "--test-case", "Declined"}},
		{name: "run-mock-unmocked-state", args: []string{"states", "run", "--definition", td + "orders.asl.json", "--input", `{"id":"o-4"}`, "--mock-config", td + "orders.mock.json", "--test-case", "NoNotifyMock"}},
		{name: "run-no-handler-lambda", args: []string{"states", "run", "--definition", td + "orders.asl.json", "--input", `{"id":"o-5"}`}},
		{name: "run-mock-unknown-test-case", args: []string{"states", "run", "--definition", td + "orders.asl.json", "--mock-config", td + "orders.mock.json", "--test-case", "Nope"}},
		{name: "run-mock-bad-config", args: []string{"states", "run", "--definition", td + "orders.asl.json", "--mock-config", td + "hello.input.json", "--test-case", "HappyPath"}},
		{name: "run-invalid-definition", args: []string{"states", "run", "--definition", td + "invalid.asl.json"}},
		{name: "run-not-json-definition", args: []string{"states", "run", "--definition", td + "notjson.asl.json"}},
		{name: "run-bad-input", args: []string{"states", "run", "--definition", td + "succeed.asl.json", "--input", `{"a":`}},
		{name: "run-missing-definition-flag", args: []string{"states", "run"}},
		{name: "run-missing-definition-file", args: []string{"states", "run", "--definition", td + "nope.asl.json"}},
		{name: "run-bad-format", args: []string{"states", "run", "--definition", td + "succeed.asl.json", "--format", "yaml"}},
		{name: "run-test-case-without-mock", args: []string{"states", "run", "--definition", td + "succeed.asl.json", "--test-case", "HappyPath"}},
		{name: "run-unknown-flag", args: []string{"states", "run", "--definitoin", td + "succeed.asl.json"}},
		{name: "run-history-limit", args: []string{"states", "run", "--definition", td + "loop.asl.json"}},
		{name: "run-nested", args: []string{"states", "run", "--definition", td + "parent.asl.json", "--input", `{"n":21}`, "--nested", "child=" + td + "child.asl.json"}},
		{name: "run-nested-missing", args: []string{"states", "run", "--definition", td + "parent.asl.json", "--input", `{"n":21}`, "--nested", "other=" + td + "child.asl.json"}},
		{name: "run-nested-invalid", args: []string{"states", "run", "--definition", td + "parent.asl.json", "--nested", "child=" + td + "invalid.asl.json"}},
		{name: "run-nested-bad-flag", args: []string{"states", "run", "--definition", td + "parent.asl.json", "--nested", "child"}},
		{name: "validate", args: []string{"states", "validate", td + "hello.asl.json", td + "invalid.asl.json", td + "orders.asl.json"}},
		{name: "validate-all-valid", args: []string{"states", "validate", td + "hello.asl.json", td + "orders.asl.json"}},
		{name: "validate-no-files", args: []string{"states", "validate"}},
		{name: "validate-stand-ins", args: []string{"states", "validate", td + "placeholders.asl.json"}},
		{name: "validate-substitute", args: []string{"states", "validate", "--substitutions", td + "substitutions.json", td + "placeholders.asl.json", "--substitute", "ApprovalFunctionArn=arn:aws:lambda:eu-west-1:111122223333:function:approval"}},
		{name: "validate-substitute-not-an-arn", args: []string{"states", "validate", "--substitutions", td + "substitutions.json", "--substitutions", td + "substitutions.env", td + "placeholders.asl.json"}},
		{name: "validate-substitute-bad-flag", args: []string{"states", "validate", "--substitute", "NoEquals", td + "placeholders.asl.json"}},
		{name: "validate-substitutions-bad-file", args: []string{"states", "validate", "--substitutions", td + "substitutions-bad.env", td + "placeholders.asl.json"}},
		{name: "validate-substitutions-missing-file", args: []string{"states", "validate", "--substitutions", td + "nope.env", td + "placeholders.asl.json"}},
		{name: "states-no-subcommand", args: []string{"states"}},
		{name: "states-unknown-subcommand", args: []string{"states", "execute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, runCLI(t, tt.stdin, tt.args...).String())
		})
	}
}

// TestStatesValidateProjectDefinitions runs "states validate" on the
// project's own definitions, as written: every ${Placeholder} gets a
// stand-in, is reported, and every file is valid.
func TestStatesValidateProjectDefinitions(t *testing.T) {
	files, err := filepath.Glob("../../statemachines/*.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no definitions under statemachines/")
	}
	res := runCLI(t, "", append([]string{"states", "validate"}, files...)...)
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("states validate %v:\n%s", files, res)
	}
	for _, f := range files {
		def, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names := statemachines.Placeholders(def)
		if len(names) == 0 {
			t.Errorf("%s has no ${Placeholders}; this test wants the SAM-style files", f)
		}
		for _, n := range names {
			if want := f + ": ${" + n + "} = "; !strings.Contains(res.stdout, want) {
				t.Errorf("stdout does not report %s", want)
			}
		}
		if !strings.Contains(res.stdout, f+": valid\n") {
			t.Errorf("stdout does not say %s is valid", f)
		}
	}
	// Without stand-ins the same files are refused: the placeholders are
	// what made them fail before.
	for _, f := range files {
		def, _ := os.ReadFile(f)
		if _, err := states.Parse(def); err == nil {
			t.Errorf("%s parses with its placeholders unfilled; want the ARN check to refuse it", f)
		}
	}
}

// TestStatesRunJSONContract checks the shape every consumer relies on: one
// JSON object with status, output (raw JSON or null), error and cause.
func TestStatesRunJSONContract(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStatus string
		wantOutput string
		wantError  any
	}{
		{name: "succeeded", args: []string{"--definition", td + "hello.asl.json", "--input", `{"name":"x"}`}, wantCode: 0, wantStatus: "SUCCEEDED",
			wantOutput: `{"greeting":"Hello, x!","big":12345678901234567890}`, wantError: nil},
		{name: "failed", args: []string{"--definition", td + "orders.asl.json", "--input", `{"id":"x"}`, "--mock-config", td + "orders.mock.json", "--test-case", "Declined"}, wantCode: 1, wantStatus: "FAILED",
			wantOutput: `null`, wantError: "OrderDeclined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"states", "run"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Errorf("exit: got %d, want %d (stderr %q)", r.code, tt.wantCode, r.stderr)
			}
			if strings.Count(r.stdout, "\n") != 1 {
				t.Errorf("stdout: got %q, want exactly one line", r.stdout)
			}
			var got struct {
				Status string          `json:"status"`
				Output json.RawMessage `json:"output"`
				Error  any             `json:"error"`
				Cause  any             `json:"cause"`
			}
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("decode %q: %v", r.stdout, err)
			}
			if got.Status != tt.wantStatus || string(got.Output) != tt.wantOutput || got.Error != tt.wantError {
				t.Errorf("got status %s output %s error %v, want %s %s %v", got.Status, got.Output, got.Error, tt.wantStatus, tt.wantOutput, tt.wantError)
			}
		})
	}
}

func TestStatesRunRealTime(t *testing.T) {
	t.Run("waits on the wall clock", func(t *testing.T) {
		begin := time.Now()
		r := runCLI(t, "", "states", "run", "--definition", td+"tick.asl.json", "--real-time")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r)
		}
		if got := time.Since(begin); got < time.Second {
			t.Errorf("elapsed: got %s, want at least the 1s Wait", got)
		}
	})
	t.Run("virtual time does not wait", func(t *testing.T) {
		begin := time.Now()
		r := runCLI(t, "", "states", "run", "--definition", td+"sleepy.asl.json")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r)
		}
		if got := time.Since(begin); got > 5*time.Second {
			t.Errorf("elapsed: got %s for a 30s virtual Wait, want it at once", got)
		}
	})
	t.Run("timeout aborts", func(t *testing.T) {
		r := runCLI(t, "", "states", "run", "--definition", td+"sleepy.asl.json", "--real-time", "--timeout", "100ms")
		if r.code != 1 || !strings.Contains(r.stdout, `"status":"ABORTED"`) || !strings.Contains(r.stderr, "--timeout 100ms") {
			t.Errorf("got %s, want exit 1, ABORTED and a note on stderr", r)
		}
	})
}

// TestStatesRunMatchesEngine runs every case of the engine's conformance
// corpus through the CLI and checks that the printed JSON carries exactly
// the engine's status, output, error and cause, with the exit status the
// contract gives. (Whether the engine matches AWS is the corpus's own test.)
func TestStatesRunMatchesEngine(t *testing.T) {
	const corpus = "../../shared/states/testdata/conformance"
	defs, err := filepath.Glob(filepath.Join(corpus, "*", "definition.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) == 0 {
		t.Fatalf("no conformance cases under %s", corpus)
	}
	for _, def := range defs {
		dir := filepath.Dir(def)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := []string{"states", "run", "--definition", def, "--input", "@" + filepath.Join(dir, "input.json"), "--start-time", "2024-03-14T01:59:00Z"}
			mockPath := filepath.Join(dir, "mock.json")
			if _, err := os.Stat(mockPath); err == nil {
				args = append(args, "--mock-config", mockPath, "--test-case", "Default")
			}
			r := runCLI(t, "", args...)
			var got struct {
				Status string          `json:"status"`
				Output json.RawMessage `json:"output"`
				Error  *string         `json:"error"`
				Cause  *string         `json:"cause"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout %q: %v (stderr %q)", r.stdout, err, r.stderr)
			}
			want := engineResult(t, dir)
			if got.Status != want.Status {
				t.Errorf("status: got %s, want %s", got.Status, want.Status)
			}
			wantOut := string(want.Output)
			if wantOut == "" {
				wantOut = "null"
			}
			if string(got.Output) != wantOut {
				t.Errorf("output:\n got %s\nwant %s", got.Output, wantOut)
			}
			if deref(got.Error) != want.Error || deref(got.Cause) != want.Cause {
				t.Errorf("error/cause: got %q/%q, want %q/%q", deref(got.Error), deref(got.Cause), want.Error, want.Cause)
			}
			wantCode := 1
			if want.Status == states.StatusSucceeded {
				wantCode = 0
			}
			if r.code != wantCode {
				t.Errorf("exit: got %d, want %d", r.code, wantCode)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// engineResult runs a corpus case on the engine directly.
func engineResult(t testing.TB, dir string) states.Result {
	t.Helper()
	def, err := os.ReadFile(filepath.Join(dir, "definition.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := states.Parse(def)
	if err != nil {
		t.Fatal(err)
	}
	var tasks states.TaskResolver = unreachableResources{}
	if _, err := os.Stat(filepath.Join(dir, "mock.json")); err == nil {
		cfg, err := mock.Load(filepath.Join(dir, "mock.json"))
		if err != nil {
			t.Fatal(err)
		}
		if tasks, err = mock.NewResolver(cfg, "Conformance", "Default", tasks); err != nil {
			t.Fatal(err)
		}
	}
	eng := states.New(states.Options{Clock: states.NewVirtualClock(time.Date(2024, 3, 14, 1, 59, 0, 0, time.UTC)), Tasks: tasks})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, res, err := eng.Run(ctx, sm, states.StartInput{Input: in})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestStatesRunDynamoDB runs DynamoDB tasks through --dynamodb-endpoint
// against a real dynalite; a missing dynalite fails the test.
func TestStatesRunDynamoDB(t *testing.T) {
	endpoint := startDynalite(t)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	_, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	def := filepath.Join(t.TempDir(), "orders.asl.json")
	if err := os.WriteFile(def, []byte(`{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","ResultPath":null,"Next":"Get",
	    "Parameters":{"TableName":"orders","Item":{"id":{"S.$":"$.id"},"total":{"N":"42"}},"ConditionExpression":"attribute_not_exists(id)"}},
	  "Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"orders","Key":{"id":{"S.$":"$.id"}}},
	    "ResultSelector":{"total.$":"$.Item.total.N"},"ResultPath":"$.stored","Next":"PutAgain"},
	  "PutAgain":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","End":true,
	    "Parameters":{"TableName":"orders","Item":{"id":{"S.$":"$.id"}},"ConditionExpression":"attribute_not_exists(id)"}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
	}{
		{
			name:       "a second put of the same order fails its condition",
			args:       []string{"--dynamodb-endpoint", endpoint},
			wantCode:   1,
			wantStdout: `{"status":"FAILED","output":null,"error":"DynamoDB.ConditionalCheckFailedException"`,
		},
		{
			name:       "without an endpoint the tasks are unreachable",
			args:       nil,
			wantCode:   1,
			wantStdout: `{"status":"FAILED","output":null,"error":"States.TaskFailed","cause":"No handler for resource 'arn:aws:states:::dynamodb:putItem' in state 'Put'`,
		},
		{
			name:       "a bad endpoint is a usage error",
			args:       []string{"--dynamodb-endpoint", "localhost:8000"},
			wantCode:   2,
			wantStdout: ``,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"states", "run", "--definition", def, "--input", fmt.Sprintf(`{"id":"o-%d"}`, i)}, tt.args...)
			r := runCLI(t, "", args...)
			if r.code != tt.wantCode || !strings.HasPrefix(r.stdout, tt.wantStdout) {
				t.Errorf("got %s\nwant exit %d and stdout starting %s", r, tt.wantCode, tt.wantStdout)
			}
		})
	}
	// The first run stored the order before its second put failed.
	got, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String("orders"),
		Key:       map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "o-0"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := got.Item["total"].(*ddbtypes.AttributeValueMemberN); !ok || n.Value != "42" {
		t.Errorf("stored item: got %#v, want total 42", got.Item)
	}
}

// startDynalite starts a dynalite of the test's own and returns its
// endpoint; a missing dynalite fails the test.
func startDynalite(tb testing.TB) string {
	tb.Helper()
	return dynalitetest.Own(tb).Endpoint()
}
