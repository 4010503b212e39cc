package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/loadtest/resultdir"
	"github.com/shipwave/shipwave/shared/loadtest/resultdynamo"
	"github.com/shipwave/shipwave/shared/release"
)

// envPrefix prefixes the environment variable of every flag:
// --hold-for is SHIPWAVE_LOADTEST_HOLD_FOR.
const envPrefix = "SHIPWAVE_LOADTEST_"

const dynamoScheme = "dynamodb://"

// options is the parsed command line.
type options struct {
	load loadtest.Config
	// out is a directory or dynamodb://TABLE.
	out string
	// dynamoEndpoint points the DynamoDB client at dynalite (dummy
	// credentials); empty means AWS with the default credential chain.
	dynamoEndpoint string
}

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseOptions reads flags, falling back to SHIPWAVE_LOADTEST_* variables
// for flags not given. Errors are usage errors naming the flag or variable.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	var mode string
	var totalRPS float64
	var tasks int
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.load.URL, "url", "", "URL to request with GET (required)")
	fs.StringVar(&mode, "mode", string(loadtest.ModeRate), "load model: rate (open, constant rate) or concurrency (closed, fixed workers)")
	fs.Float64Var(&totalRPS, "rps", 0, "rate mode: requests per second across all --tasks tasks")
	fs.IntVar(&tasks, "tasks", 1, "number of tasks sharing --rps")
	fs.IntVar(&o.load.Concurrency, "concurrency", 0, "concurrency mode: workers in this task")
	fs.IntVar(&o.load.MaxInFlight, "max-in-flight", loadtest.DefaultMaxInFlight, "rate mode: outstanding requests before new ones are dropped")
	fs.DurationVar(&o.load.RampUp, "ramp-up", 0, "linear ramp-up before the hold window")
	fs.DurationVar(&o.load.HoldFor, "hold-for", 0, "length of the hold window at full load (required)")
	fs.DurationVar(&o.load.Timeout, "timeout", loadtest.DefaultTimeout, "per-request timeout")
	fs.StringVar(&o.load.RunID, "run-id", "", "load-test run ID shared by all tasks (required)")
	fs.IntVar(&o.load.Task, "task-index", 0, "this task's index, 0 to tasks-1")
	fs.StringVar(&o.out, "out", "", "where to store the result: a directory or dynamodb://TABLE (required)")
	fs.StringVar(&o.dynamoEndpoint, "dynamodb-endpoint", "", "DynamoDB endpoint override for dynalite (dummy credentials)")
	var loadJSON string
	fs.StringVar(&loadJSON, "config", "", "the wave's load test as JSON (release.LoadTest, as the loadtest state machine passes it); other flags override its fields")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: loadgen --url URL --hold-for D --run-id ID --out DIR|dynamodb://TABLE [flags]\n\nEvery flag may be set as %s<FLAG> instead.\n\n", envPrefix)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return o, &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || envErr != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			given[f.Name] = true
			if err := fs.Set(f.Name, v); err != nil {
				envErr = &usageError{msg: fmt.Sprintf("%s=%q: %v", envName(f.Name), v, err)}
			}
		}
	})
	if envErr != nil {
		return o, envErr
	}
	if loadJSON != "" {
		var lt release.LoadTest
		if err := json.Unmarshal([]byte(loadJSON), &lt); err != nil {
			return o, &usageError{msg: fmt.Sprintf("--config (or %s): not a load test: %v", envName("config"), err)}
		}
		fill := func(name string, ok bool, set func()) {
			if ok && !given[name] {
				set()
			}
		}
		fill("url", lt.URL != "", func() { o.load.URL = lt.URL })
		fill("tasks", lt.Tasks > 0, func() { tasks = lt.Tasks })
		fill("rps", lt.RPS > 0, func() { totalRPS = lt.RPS })
		fill("concurrency", lt.Concurrency > 0, func() { o.load.Concurrency = lt.Concurrency })
		fill("ramp-up", lt.RampUp > 0, func() { o.load.RampUp = lt.RampUp })
		fill("hold-for", lt.HoldFor > 0, func() { o.load.HoldFor = lt.HoldFor })
		fill("mode", lt.RPS <= 0 && lt.Concurrency > 0, func() { mode = string(loadtest.ModeConcurrency) })
	}

	o.load.Mode = loadtest.Mode(mode)
	switch {
	case o.load.RunID == "":
		return o, &usageError{msg: "--run-id (or " + envName("run-id") + ") is required"}
	case o.out == "":
		return o, &usageError{msg: "--out (or " + envName("out") + ") is required"}
	case tasks < 1:
		return o, &usageError{msg: fmt.Sprintf("--tasks: %d, want at least 1", tasks)}
	case o.load.Task < 0 || o.load.Task >= tasks:
		return o, &usageError{msg: fmt.Sprintf("--task-index: %d, want 0 to --tasks - 1 (%d)", o.load.Task, tasks-1)}
	}
	if err := loadtest.CheckRunID(o.load.RunID); err != nil {
		return o, &usageError{msg: "--run-id: " + err.Error()}
	}
	o.load.RPS = totalRPS / float64(tasks)
	return o, nil
}

// openSink returns where the result goes, creating a directory if needed,
// so a bad destination fails before any load is sent.
func openSink(ctx context.Context, o options) (loadtest.Sink, error) {
	table, isDynamo := strings.CutPrefix(o.out, dynamoScheme)
	if !isDynamo {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return nil, fmt.Errorf("--out: %w", err)
		}
		return resultdir.New(o.out), nil
	}
	if table == "" || strings.Contains(table, "/") {
		return nil, &usageError{msg: fmt.Sprintf("--out: %q, want dynamodb://TABLE", o.out)}
	}
	var client *dynamodb.Client
	if o.dynamoEndpoint != "" {
		client = dynamodb.New(dynamodb.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(o.dynamoEndpoint),
			Credentials:  credentials.NewStaticCredentialsProvider("dynalite", "dynalite", ""),
		})
	} else {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("load AWS config: %w", err)
		}
		client = dynamodb.NewFromConfig(cfg)
	}
	return resultdynamo.New(client, table, time.Now), nil
}
