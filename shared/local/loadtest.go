package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/loadtest/resultdir"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
)

// runTaskParams is the part of ecs:runTask's parameters the local runner
// reads: the container's environment.
type runTaskParams struct {
	Overrides struct {
		ContainerOverrides []struct {
			Name        string `json:"Name"`
			Environment []struct {
				Name  string `json:"Name"`
				Value string `json:"Value"`
			} `json:"Environment"`
		} `json:"ContainerOverrides"`
	} `json:"Overrides"`
}

// loadTestConfig is SHIPWAVE_LOADTEST_CONFIG: the wave's load test.
type loadTestConfig struct {
	release.LoadTest
	TaskIndexes []int `json:"taskIndexes"`
}

// deployName matches a deploy execution name: <release>-s<stage>w<wave>t<target>.
var deployName = regexp.MustCompile(`^(.+)-s(\d+)w(\d+)t(\d+)$`)

// runLoadgen runs one load-test task as a real loadgen process (`shipwave
// local loadgen`) against the target's proxy, as ECS would run the loadgen
// container on Fargate, and waits for it (the .sync pattern).
func (s *Stack) runLoadgen(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
	var p runTaskParams
	if err := json.Unmarshal(req.Input, &p); err != nil {
		return nil, failure.Newf("ECS.InvalidParameterException", "runTask parameters: %v", err)
	}
	env := map[string]string{}
	for _, c := range p.Overrides.ContainerOverrides {
		for _, e := range c.Environment {
			env[e.Name] = e.Value
		}
	}
	runID, taskIdx := env["SHIPWAVE_LOADTEST_RUN_ID"], env["SHIPWAVE_LOADTEST_TASK_INDEX"]
	var cfg loadTestConfig
	if err := json.Unmarshal([]byte(env["SHIPWAVE_LOADTEST_CONFIG"]), &cfg); err != nil {
		return nil, failure.Newf("ECS.InvalidParameterException", "SHIPWAVE_LOADTEST_CONFIG: %v", err)
	}
	target := cfg.URL
	if target == "" {
		sv, err := s.serviceOfRun(ctx, runID)
		if err != nil {
			return nil, failure.Newf("ECS.InvalidParameterException", "load test %s: %v", runID, err)
		}
		target = sv.Endpoint + "/"
	}
	tasks := max(1, cfg.Tasks)
	args := []string{"local", "loadgen",
		"--url", target, "--run-id", runID, "--task-index", taskIdx, "--tasks", strconv.Itoa(tasks),
		"--rps", strconv.FormatFloat(cfg.RPS, 'f', -1, 64), "--concurrency", strconv.Itoa(cfg.Concurrency),
		"--ramp-up", cfg.RampUp.String(), "--hold-for", cfg.HoldFor.String(),
		"--out", s.loadTestDir(),
	}
	cmd := exec.CommandContext(ctx, s.cfg.Binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, failure.Newf(failure.TaskFailed, "loadgen task %s of run %s: %v: %s", taskIdx, runID, err, tail(stderr.String(), 400))
	}
	return json.RawMessage(`{"LastStatus":"STOPPED","StopCode":"EssentialContainerExited","Containers":[{"Name":"loadgen","ExitCode":0}]}`), nil
}

func (s *Stack) loadTestDir() string { return filepath.Join(s.workDir, "loadtest") }

// serviceOfRun finds the local service a load-test run targets, from the run
// id "<deploy execution name>-lt".
func (s *Stack) serviceOfRun(ctx context.Context, runID string) (*service, error) {
	m := deployName.FindStringSubmatch(strings.TrimSuffix(runID, "-lt"))
	if m == nil {
		return nil, fmt.Errorf("run id %q does not name a deploy execution", runID)
	}
	r, err := s.store.GetRelease(ctx, m[1])
	if err != nil {
		return nil, err
	}
	sv, err := s.store.GetSpec(ctx, r.Pipeline, r.SpecVersion)
	if err != nil {
		return nil, err
	}
	si, _ := strconv.Atoi(m[2])
	wi, _ := strconv.Atoi(m[3])
	ti, _ := strconv.Atoi(m[4])
	p := sv.Parsed
	if si >= len(p.Stages) || wi >= len(p.Stages[si].Waves) || ti >= len(p.Stages[si].Waves[wi].Targets) {
		return nil, fmt.Errorf("run id %q: no such target in pipeline %s", runID, p.Name)
	}
	t := p.Stages[si].Waves[wi].Targets[ti]
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.byTarget[t.Name]
	if !ok {
		return nil, fmt.Errorf("target %s has no local service", t.Name)
	}
	return svc, nil
}

// aggregateLoadTest merges the run's task results (HDR histograms), judges
// them and records the verdict in the release's log: the same aggregator
// the loadtest-aggregate Lambda runs.
func (s *Stack) aggregateLoadTest(ctx context.Context, in loadtest.AggregateInput) (loadtest.Report, error) {
	a := &loadtest.Aggregator{Source: resultdir.New(s.loadTestDir()), Events: s.store, Now: s.svc.Now}
	rep, err := a.Handle(ctx, in)
	return rep, control.Boundary(err)
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// RunLoadgen is `shipwave local loadgen`: one load-test task against a URL,
// its result stored under --out for the aggregate step, as cmd/loadgen does
// in the Fargate task.
func RunLoadgen(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	var rps float64
	var tasks int
	var out string
	fs.StringVar(&cfg.URL, "url", "", "URL to load")
	fs.StringVar(&cfg.RunID, "run-id", "", "load-test run id")
	fs.IntVar(&cfg.Task, "task-index", 0, "this task's index")
	fs.IntVar(&tasks, "tasks", 1, "tasks sharing --rps")
	fs.Float64Var(&rps, "rps", 0, "total requests per second across tasks (rate mode)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "workers (concurrency mode, when --rps is 0)")
	fs.DurationVar(&cfg.RampUp, "ramp-up", 0, "ramp-up")
	fs.DurationVar(&cfg.HoldFor, "hold-for", 0, "hold window")
	fs.StringVar(&out, "out", "", "result directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.URL == "" || cfg.RunID == "" || out == "" || cfg.HoldFor <= 0 || tasks < 1 {
		return errors.New("loadgen: --url, --run-id, --out and --hold-for are required")
	}
	cfg.Mode = loadtest.ModeRate
	cfg.RPS = rps / float64(tasks)
	if rps <= 0 {
		cfg.Mode = loadtest.ModeConcurrency
		cfg.Concurrency = max(1, cfg.Concurrency)
	}
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return resultdir.New(out).Put(pctx, cfg.RunID, cfg.Task, res)
}
