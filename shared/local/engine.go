package local

import (
	"fmt"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/lambdatask"
	"github.com/shipwave/shipwave/shared/states/tasks"
	"github.com/shipwave/shipwave/statemachines"
)

// Handlers are the in-process stand-ins of Shipwave's Lambda functions and
// of the ECS task the load test runs. A nil function field means the
// Service's method of the same name; LoadTestAggregate and RunTask are
// required.
type Handlers struct {
	Service *control.Service
	// Functions, each a handler as lambda.NewHandler accepts it.
	Record, Approval, Lock, Shift, Hook, Bake, Finalize, Rollback any
	LoadTestAggregate                                             any
	// RunTask serves arn:aws:states:::ecs:runTask.sync.
	RunTask states.TaskHandler
	// WrapStarter, when set, wraps what Tasks start nested executions
	// (deploy and load-test executions) with, so a caller can watch them.
	WrapStarter func(tasks.Starter) tasks.Starter
}

// Engine is the embedded engine with Shipwave's state machines registered
// and every Task resolved to in-process handlers.
type Engine struct {
	*states.Engine
	// Release is the release state machine; ReleaseARN its ARN.
	Release    *states.StateMachine
	ReleaseARN string
}

// NewEngine builds the engine the local stack runs: statemachines/*.asl.json
// with their DefinitionSubstitutions pointing at h's handlers. opts.Tasks is
// replaced; opts.Region and opts.Account default to the local ones. The
// caller wires the returned engine as h.Service.Callbacks.
func NewEngine(opts states.Options, h Handlers) (*Engine, error) {
	if h.Service == nil || h.LoadTestAggregate == nil || h.RunTask == nil {
		return nil, fmt.Errorf("local engine: Service, LoadTestAggregate and RunTask are required")
	}
	if opts.Region == "" {
		opts.Region = Region
	}
	if opts.Account == "" {
		opts.Account = Account
	}
	reg := states.NewRegistry()
	opts.Tasks = reg
	e := &Engine{Engine: states.New(opts)}
	svc := h.Service
	or := func(f, def any) any {
		if f != nil {
			return f
		}
		return def
	}
	arn := func(name string) string {
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:shipwave-%s", opts.Region, opts.Account, name)
	}
	smARN := func(name string) string {
		return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:shipwave-%s", opts.Region, opts.Account, name)
	}
	fns := tasks.Functions{}
	add := func(name string, handler any) string {
		fns["shipwave-"+name] = lambdatask.New("shipwave-"+name, handler)
		return arn(name)
	}
	subs := map[string]string{
		"RecordFunctionArn":            add("record", or(h.Record, svc.Record)),
		"ApprovalFunctionArn":          add("approval", or(h.Approval, svc.RegisterApproval)),
		"LockFunctionArn":              add("lock", or(h.Lock, svc.Lock)),
		"ShiftFunctionArn":             add("shift", or(h.Shift, svc.Shift)),
		"HookFunctionArn":              add("hook", or(h.Hook, svc.Hook)),
		"BakeFunctionArn":              add("bake", or(h.Bake, svc.Bake)),
		"FinalizeFunctionArn":          add("finalize", or(h.Finalize, svc.Finalize)),
		"RollbackFunctionArn":          add("rollback", or(h.Rollback, svc.Rollback)),
		"LoadTestAggregateFunctionArn": add("loadtest-aggregate", h.LoadTestAggregate),
		"DeployStateMachineArn":        smARN("deploy"),
		"LoadTestStateMachineArn":      smARN("loadtest"),
		"LoadTestClusterArn":           fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/shipwave-local", opts.Region, opts.Account),
		"LoadTestTaskDefinitionArn":    fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/shipwave-loadgen:1", opts.Region, opts.Account),
		"LoadTestSubnets":              "subnet-local",
		"LoadTestSecurityGroup":        "sg-local",
	}
	reg.HandlePrefix(tasks.LambdaARNPrefix, tasks.Lambda(fns))
	reg.HandlePrefix(tasks.LambdaInvokeResource, tasks.Lambda(fns))
	var starter tasks.Starter = e.Engine
	if h.WrapStarter != nil {
		starter = h.WrapStarter(starter)
	}
	reg.HandlePrefix(tasks.StartExecutionResource, tasks.StartExecution(starter))
	reg.Handle(runTaskSync, h.RunTask)
	e.ReleaseARN = smARN("release")
	for name, a := range map[string]string{
		statemachines.Release:  e.ReleaseARN,
		statemachines.Deploy:   subs["DeployStateMachineArn"],
		statemachines.LoadTest: subs["LoadTestStateMachineArn"],
	} {
		def, err := statemachines.Load(name, subs)
		if err != nil {
			return nil, fmt.Errorf("local engine: %w", err)
		}
		sm, err := states.Parse(def)
		if err != nil {
			return nil, fmt.Errorf("local engine: parse %s: %w", name, err)
		}
		e.Register(a, sm)
		if name == statemachines.Release {
			e.Release = sm
		}
	}
	return e, nil
}
