package localtask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/states/failure"
)

// Runner starts one process of Bin per RunTask call and waits for it, as
// runTask.sync waits for the ECS task to stop.
type Runner struct {
	// Bin is the path of the cmd/loadgen binary.
	Bin string
	// Env is the base environment of every task, such as
	// SHIPWAVE_LOADTEST_OUT; container overrides are added to it and win. The
	// process inherits nothing else.
	Env []string
	// Container names the container whose overrides apply; empty applies
	// every container override.
	Container string
	// Output receives the tasks' standard output and error; nil discards it.
	Output io.Writer
	// StopTimeout is how long a task may take to exit after it is asked to
	// stop (ctx done) before it is killed; zero means 30s, ECS's default.
	StopTimeout time.Duration

	seq atomic.Int64
}

// runTaskParams is the part of ecs:runTask's parameters a local run uses.
type runTaskParams struct {
	Cluster        string `json:"Cluster"`
	TaskDefinition string `json:"TaskDefinition"`
	Overrides      struct {
		ContainerOverrides []struct {
			Name        string     `json:"Name"`
			Command     []string   `json:"Command"`
			Environment []envEntry `json:"Environment"`
		} `json:"ContainerOverrides"`
	} `json:"Overrides"`
}

type envEntry struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// RunTask runs one task described by ecs:runTask parameters (PascalCase, as
// Step Functions passes them) and returns a stopped-task description. A task
// that exits non-zero fails with States.TaskFailed and the description as
// its cause, as the .sync integration does; bad parameters fail with
// States.Runtime. It has the tasks.HookFunc signature.
func (r *Runner) RunTask(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	var p runTaskParams
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, failure.Newf(failure.Runtime, "invalid ecs:runTask parameters: %v", err)
	}
	env := append([]string{}, r.Env...)
	var args []string
	container := r.Container
	for _, o := range p.Overrides.ContainerOverrides {
		if r.Container != "" && o.Name != r.Container {
			continue
		}
		if container == "" {
			container = o.Name
		}
		for _, e := range o.Environment {
			env = append(env, e.Name+"="+e.Value)
		}
		if len(o.Command) > 0 {
			args = o.Command
		}
	}
	if container == "" {
		container = "loadgen"
	}

	var tail tailBuffer
	out := io.Writer(&tail)
	if r.Output != nil {
		out = io.MultiWriter(&tail, r.Output)
	}
	cmd := exec.CommandContext(ctx, r.Bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = r.StopTimeout
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 30 * time.Second
	}
	task := stoppedTask{
		TaskArn:           fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/local/%d-%d", os.Getpid(), r.seq.Add(1)),
		ClusterArn:        p.Cluster,
		TaskDefinitionArn: p.TaskDefinition,
		LastStatus:        "STOPPED",
		DesiredStatus:     "STOPPED",
		StartedAt:         time.Now().UTC(),
	}
	err := cmd.Run()
	task.StoppedAt = time.Now().UTC()
	exitCode := 0
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		task.StopCode, task.StoppedReason = "EssentialContainerExited", "Essential container in task exited"
	case errors.As(err, &exitErr):
		exitCode = exitErr.ExitCode()
		task.StopCode, task.StoppedReason = "EssentialContainerExited", "Essential container in task exited"
		if ctx.Err() != nil {
			task.StopCode, task.StoppedReason = "UserInitiated", "Task stopped: "+ctx.Err().Error()
		}
	default:
		return nil, failure.Newf(failure.TaskFailed, "start %s: %v", r.Bin, err)
	}
	task.Containers = []containerDesc{{Name: container, LastStatus: "STOPPED", ExitCode: exitCode, Reason: tail.lastLine()}}
	desc, merr := json.Marshal(struct {
		Tasks    []stoppedTask `json:"Tasks"`
		Failures []any         `json:"Failures"`
	}{Tasks: []stoppedTask{task}, Failures: []any{}})
	if merr != nil {
		return nil, failure.Newf(failure.TaskFailed, "describe task: %v", merr)
	}
	if exitCode != 0 {
		return nil, failure.New(failure.TaskFailed, string(desc))
	}
	return desc, nil
}

type stoppedTask struct {
	TaskArn           string          `json:"TaskArn"`
	ClusterArn        string          `json:"ClusterArn"`
	TaskDefinitionArn string          `json:"TaskDefinitionArn"`
	LastStatus        string          `json:"LastStatus"`
	DesiredStatus     string          `json:"DesiredStatus"`
	StopCode          string          `json:"StopCode"`
	StoppedReason     string          `json:"StoppedReason"`
	StartedAt         time.Time       `json:"StartedAt"`
	StoppedAt         time.Time       `json:"StoppedAt"`
	Containers        []containerDesc `json:"Containers"`
}

type containerDesc struct {
	Name       string `json:"Name"`
	LastStatus string `json:"LastStatus"`
	ExitCode   int    `json:"ExitCode"`
	// Reason is the task's last line of output, which for loadgen is its
	// error message when it fails.
	Reason string `json:"Reason,omitempty"`
}

// tailBuffer keeps the last few KiB written to it.
type tailBuffer struct {
	buf bytes.Buffer
}

const tailMax = 4096

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - tailMax; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) lastLine() string {
	lines := strings.Split(strings.TrimSpace(t.buf.String()), "\n")
	return lines[len(lines)-1]
}
