package local

import (
	"context"
	"fmt"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/lambdatask"
	"github.com/shipwave/shipwave/shared/states/tasks"
	"github.com/shipwave/shipwave/statemachines"
)

// Handlers are the in-process stand-ins of Shipwave's Lambda functions and
// of the ECS task the load test runs: every Task function is the Service's
// handler for it (the routers of record, shift and bake), except that Lock
// and Finalize may be wrapped (nil: the Service's method) and
// LoadTestAggregate and RunTask are required.
type Handlers struct {
	Service  *control.Service
	Lock     func(context.Context, control.LockInput) (release.Lock, error)
	Finalize func(context.Context, control.FinalizeInput) (control.TargetOutcome, error)
	// LoadTestAggregate serves the load test's Aggregate Task.
	LoadTestAggregate func(context.Context, loadtest.AggregateInput) (loadtest.Report, error)
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
	lock, finalize := svc.Lock, svc.Finalize
	if h.Lock != nil {
		lock = h.Lock
	}
	if h.Finalize != nil {
		finalize = h.Finalize
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
		"RecordFunctionArn":            add("record", svc.RecordFunction().Handle),
		"ApprovalFunctionArn":          add("approval", svc.RegisterApproval),
		"LockFunctionArn":              add("lock", lock),
		"ShiftFunctionArn":             add("shift", svc.ShiftFunction().Handle),
		"HookFunctionArn":              add("hook", svc.Hook),
		"BakeFunctionArn":              add("bake", svc.BakeFunction().Handle),
		"FinalizeFunctionArn":          add("finalize", finalize),
		"RollbackFunctionArn":          add("rollback", svc.Rollback),
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
