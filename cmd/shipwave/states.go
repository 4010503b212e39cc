package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/mock"
	"github.com/shipwave/shipwave/shared/states/tasks"
)

const statesUsage = `usage:
  shipwave states run --definition FILE [--input JSON|@FILE] [--mock-config FILE --test-case NAME]
                      [--state-machine NAME] [--name NAME] [--real-time] [--start-time RFC3339]
                      [--history] [--timeout D] [--format json|text]
                      [--dynamodb-endpoint URL] [--nested NAME=FILE]...
  shipwave states validate [--substitute NAME=VALUE]... [--substitutions FILE] FILE...

run executes a definition on the embedded engine (virtual time unless --real-time)
and prints {"status","output","error","cause"}; it exits 0 when the execution
SUCCEEDED, 1 when it FAILED, TIMED_OUT or was ABORTED, and 2 for an invalid
definition, input or command line. validate checks definitions like
CreateStateMachine and exits 2 if any is invalid; it fills ${Placeholders}
(SAM DefinitionSubstitutions) from --substitute/--substitutions and gives
every other placeholder a well-formed stand-in ARN, saying which.
`

func runStates(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, statesUsage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "run":
		return statesRun(ctx, args[1:], stdin, stdout, stderr)
	case "validate":
		return statesValidate(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, statesUsage)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("states: unknown subcommand %q (want run or validate)", args[0])}
}

// runFlags are the options of "states run".
type runFlags struct {
	definition   string
	input        string
	mockConfig   string
	testCase     string
	stateMachine string
	name         string
	realTime     bool
	startTime    string
	history      bool
	timeout      time.Duration
	format       string
	dynamoDB     string
	nested       nestedFlag
}

// nestedFlag collects repeated --nested NAME=FILE options.
type nestedFlag []nestedMachine

type nestedMachine struct{ name, file string }

func (n *nestedFlag) String() string { return "" }

func (n *nestedFlag) Set(v string) error {
	name, file, ok := strings.Cut(v, "=")
	if !ok || name == "" || file == "" {
		return fmt.Errorf("want NAME=FILE, got %q", v)
	}
	*n = append(*n, nestedMachine{name: name, file: file})
	return nil
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	f := &runFlags{}
	fs := flag.NewFlagSet("states run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.definition, "definition", "", "Amazon States Language definition `FILE`")
	fs.StringVar(&f.input, "input", "{}", "execution input: JSON text, @FILE, or @- for stdin")
	fs.StringVar(&f.mockConfig, "mock-config", "", "Step Functions Local mock configuration `FILE`")
	fs.StringVar(&f.testCase, "test-case", "", "test case `NAME` in the mock configuration")
	fs.StringVar(&f.stateMachine, "state-machine", "", "state machine `NAME` in the mock configuration (default: its only one, else the definition file's name)")
	fs.StringVar(&f.name, "name", "", "execution `NAME` (default: a random UUID)")
	fs.BoolVar(&f.realTime, "real-time", false, "wait in wall-clock time instead of virtual time")
	fs.StringVar(&f.startTime, "start-time", "", "virtual clock start, RFC 3339 (default: now)")
	fs.BoolVar(&f.history, "history", false, "include the execution history")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "wall-clock limit; the execution is aborted after it (0: none)")
	fs.StringVar(&f.format, "format", "json", "output format: json or text")
	fs.Var(&f.nested, "nested", "make the definition in FILE startable by states:startExecution as arn:aws:states:us-east-1:123456789012:stateMachine:NAME (`NAME=FILE`, repeatable)")
	fs.StringVar(&f.dynamoDB, "dynamodb-endpoint", "", "run dynamodb:getItem/putItem/updateItem/deleteItem tasks against this endpoint (`URL`, e.g. dynalite)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, statesUsage)
			return nil, &exitError{code: 2}
		}
		return nil, &usageError{msg: "states run: " + err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{msg: fmt.Sprintf("states run: unexpected argument %q", fs.Arg(0))}
	case f.definition == "":
		return nil, &usageError{msg: "states run: --definition FILE is required"}
	case f.format != "json" && f.format != "text":
		return nil, &usageError{msg: fmt.Sprintf("states run: --format %q: want json or text", f.format)}
	case f.testCase != "" && f.mockConfig == "":
		return nil, &usageError{msg: "states run: --test-case needs --mock-config"}
	case f.mockConfig != "" && f.testCase == "":
		return nil, &usageError{msg: "states run: --mock-config needs --test-case"}
	case f.stateMachine != "" && f.mockConfig == "":
		return nil, &usageError{msg: "states run: --state-machine needs --mock-config"}
	case f.realTime && f.startTime != "":
		return nil, &usageError{msg: "states run: --start-time only applies to virtual time, not with --real-time"}
	case f.timeout < 0:
		return nil, &usageError{msg: "states run: --timeout must not be negative"}
	case f.dynamoDB != "" && !strings.HasPrefix(f.dynamoDB, "http://") && !strings.HasPrefix(f.dynamoDB, "https://"):
		return nil, &usageError{msg: fmt.Sprintf("states run: --dynamodb-endpoint %q: want an http:// or https:// URL", f.dynamoDB)}
	}
	return f, nil
}

// runOutput is what "states run --format json" prints: one JSON object.
type runOutput struct {
	Status  string                `json:"status"`
	Output  json.RawMessage       `json:"output"`
	Error   *string               `json:"error"`
	Cause   *string               `json:"cause"`
	History []states.HistoryEvent `json:"history,omitempty"`
}

func statesRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	def, err := os.ReadFile(f.definition)
	if err != nil {
		return &usageError{msg: fmt.Sprintf("states run: %v", err)}
	}
	sm, err := states.Parse(def)
	if err != nil {
		reportInvalid(stderr, f.definition, err)
		return &exitError{code: 2}
	}
	input, err := readInput(f.input, stdin)
	if err != nil {
		return &usageError{msg: "states run: --input: " + err.Error()}
	}
	nested, err := loadNested(f.nested, stderr)
	if err != nil {
		return err
	}
	reg := states.NewRegistry()
	resolver, err := taskResolver(f, reg)
	if err != nil {
		return &usageError{msg: "states run: " + err.Error()}
	}
	clock, err := runClock(f)
	if err != nil {
		return err
	}

	// Without --history nothing reads the events, so only count them (the
	// 25,000-event limit still applies exactly).
	histMode := states.HistoryCount
	if f.history {
		histMode = states.HistoryFull
	}
	eng := states.New(states.Options{Clock: clock, Tasks: resolver, StateMachines: nested, History: histMode})
	if len(nested) > 0 {
		tasks.Register(reg, tasks.Config{Starter: eng})
	}
	x, err := eng.Start(ctx, sm, states.StartInput{Name: f.name, Input: input})
	if err != nil {
		var fe *failure.Error
		if errors.As(err, &fe) {
			return &usageError{msg: fmt.Sprintf("states run: %s: %s", fe.Name, fe.Cause)}
		}
		return fmt.Errorf("states run: start execution: %w", err)
	}
	waitCtx := ctx
	if f.timeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	res, err := x.Wait(waitCtx)
	if err != nil {
		// Interrupted or out of time: abort the execution and report it.
		reason := "interrupted"
		if ctx.Err() == nil {
			reason = fmt.Sprintf("still running after --timeout %s", f.timeout)
		}
		fmt.Fprintf(stderr, "shipwave: states run: execution %s, aborting it\n", reason)
		x.Stop("", "")
		if res, err = x.Wait(context.Background()); err != nil {
			return fmt.Errorf("states run: wait for the aborted execution: %w", err)
		}
	}

	var hist []states.HistoryEvent
	if f.history {
		hist = x.History()
	}
	if f.format == "text" {
		writeRunText(stdout, res, hist)
	} else if err := writeRunJSON(stdout, res, hist); err != nil {
		return fmt.Errorf("states run: write result: %w", err)
	}
	if res.Status != states.StatusSucceeded {
		return &exitError{code: 1}
	}
	return nil
}

// readInput returns the execution input given as JSON text, @FILE or @-.
func readInput(spec string, stdin io.Reader) ([]byte, error) {
	var b []byte
	switch {
	case spec == "@-":
		var err error
		if b, err = io.ReadAll(stdin); err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
	case strings.HasPrefix(spec, "@"):
		var err error
		if b, err = os.ReadFile(spec[1:]); err != nil {
			return nil, err
		}
	default:
		b = []byte(spec)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	return b, nil
}

func runClock(f *runFlags) (states.Clock, error) {
	if f.realTime {
		return states.RealClock(), nil
	}
	start := time.Now().UTC().Truncate(time.Millisecond)
	if f.startTime != "" {
		t, err := time.Parse(time.RFC3339Nano, f.startTime)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("states run: --start-time %q: want RFC 3339, such as 2024-01-02T15:04:05Z", f.startTime)}
		}
		start = t.UTC()
	}
	return states.NewVirtualClock(start), nil
}

// taskResolver answers Task states: mocked responses first when a mock
// configuration is given, then the integrations registered in reg (DynamoDB
// with --dynamodb-endpoint, startExecution with --nested), then
// unreachableResources, which fails every other task the way Step Functions
// fails a resource it cannot reach.
func taskResolver(f *runFlags, reg *states.Registry) (states.TaskResolver, error) {
	if f.dynamoDB != "" {
		tasks.Register(reg, tasks.Config{DynamoDB: dynamodb.New(dynamodb.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(f.dynamoDB),
			Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		})})
	}
	var real states.TaskResolver = fallbackResolver{first: reg, then: unreachableResources{}}
	if f.mockConfig == "" {
		return real, nil
	}
	cfg, err := mock.Load(f.mockConfig)
	if err != nil {
		return nil, err
	}
	name := f.stateMachine
	if name == "" {
		if len(cfg.StateMachines) == 1 {
			for n := range cfg.StateMachines {
				name = n
			}
		} else {
			name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f.definition), ".json"), ".asl")
		}
	}
	return mock.NewResolver(cfg, name, f.testCase, real)
}

// nestedArnPrefix is where --nested machines live.
const nestedArnPrefix = "arn:aws:states:us-east-1:123456789012:stateMachine:"

// loadNested parses the --nested definitions; an invalid one is reported
// like the main definition and exits 2.
func loadNested(nested nestedFlag, stderr io.Writer) (map[string]*states.StateMachine, error) {
	machines := map[string]*states.StateMachine{}
	for _, n := range nested {
		def, err := os.ReadFile(n.file)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("states run: --nested %s: %v", n.name, err)}
		}
		sm, err := states.Parse(def)
		if err != nil {
			reportInvalid(stderr, n.file, err)
			return nil, &exitError{code: 2}
		}
		machines[nestedArnPrefix+n.name] = sm
	}
	return machines, nil
}

// fallbackResolver asks first and, for resources first has no handler
// for, then.
type fallbackResolver struct {
	first, then states.TaskResolver
}

func (r fallbackResolver) Resolve(resource string) (states.TaskHandler, error) {
	if h, err := r.first.Resolve(resource); err == nil {
		return h, nil
	}
	return r.then.Resolve(resource)
}

// unreachableResources fails every Task: the CLI has no AWS behind it. A
// Lambda function fails as Step Functions reports a missing function
// (Lambda.ResourceNotFoundException); any other resource fails with
// States.TaskFailed naming the resource, so Retry and Catch on
// States.TaskFailed or States.ALL still see it.
type unreachableResources struct{}

func (unreachableResources) Resolve(resource string) (states.TaskHandler, error) {
	return states.TaskFunc(func(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
		if fn := lambdaFunction(resource, req.Input); fn != "" {
			return nil, failure.Newf("Lambda.ResourceNotFoundException",
				"Function not found: %s (Service: Lambda, Status Code: 404, Request ID: 00000000-0000-0000-0000-000000000000)", fn)
		}
		return nil, failure.Newf(failure.TaskFailed,
			"No handler for resource '%s' in state '%s': shipwave states run reaches no AWS service; mock the state with --mock-config", resource, req.StateName)
	}), nil
}

// lambdaFunction returns the function a Lambda task invokes, or "".
func lambdaFunction(resource string, input json.RawMessage) string {
	if strings.HasPrefix(resource, "arn:aws:lambda:") {
		return resource
	}
	if !strings.HasPrefix(resource, "arn:aws:states:::lambda:invoke") {
		return ""
	}
	var in struct {
		FunctionName string `json:"FunctionName"`
	}
	if json.Unmarshal(input, &in) != nil || in.FunctionName == "" {
		return "unknown"
	}
	if strings.HasPrefix(in.FunctionName, "arn:") {
		return in.FunctionName
	}
	return "arn:aws:lambda:us-east-1:123456789012:function:" + in.FunctionName
}

func writeRunJSON(w io.Writer, res states.Result, hist []states.HistoryEvent) error {
	out := runOutput{Status: res.Status, Output: res.Output, History: hist}
	if len(bytes.TrimSpace(out.Output)) == 0 {
		out.Output = json.RawMessage("null")
	}
	if res.Error != "" {
		out.Error = &res.Error
	}
	if res.Cause != "" {
		out.Cause = &res.Cause
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // Step Functions does not escape <, > and &.
	return enc.Encode(out)
}

func writeRunText(w io.Writer, res states.Result, hist []states.HistoryEvent) {
	fmt.Fprintf(w, "status: %s\n", res.Status)
	if len(res.Output) > 0 {
		fmt.Fprintf(w, "output: %s\n", res.Output)
	}
	if res.Error != "" {
		fmt.Fprintf(w, "error:  %s\n", res.Error)
	}
	if res.Cause != "" {
		fmt.Fprintf(w, "cause:  %s\n", res.Cause)
	}
	if len(hist) == 0 {
		return
	}
	fmt.Fprintf(w, "history: %d events\n", len(hist))
	start := hist[0].Timestamp
	for _, ev := range hist {
		name := ""
		switch {
		case ev.StateEnteredEventDetails != nil:
			name = ev.StateEnteredEventDetails.Name
		case ev.StateExitedEventDetails != nil:
			name = ev.StateExitedEventDetails.Name
		}
		fmt.Fprintf(w, "  %4d  +%-10s %-28s %s\n", ev.ID, ev.Timestamp.Sub(start).Round(time.Millisecond), ev.Type, name)
	}
}
