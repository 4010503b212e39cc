package controlengine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/loadtest"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/lambdatask"
	"github.com/shipwave/shipwave/shared/states/tasks"
	"github.com/shipwave/shipwave/statemachines"
)

// Region and Account are the ones ARNs are built with when the engine's
// options leave them empty.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// RunTaskSync is the ECS integration the load-test state machine uses.
const RunTaskSync = "arn:aws:states:::ecs:runTask.sync"

// Handlers serve the Task functions: every function but the load test's
// aggregator is Service's handler for it.
type Handlers struct {
	Service *control.Service
	// LoadTestAggregate serves the load test's Aggregate Task.
	LoadTestAggregate func(context.Context, loadtest.AggregateInput) (loadtest.Report, error)
	// RunTask, when set, serves arn:aws:states:::ecs:runTask.sync (the load
	// test's generator tasks); nil leaves it unresolved.
	RunTask states.TaskHandler
	// WrapStarter, when set, wraps what Tasks start nested executions
	// (deploy and load-test executions) with, so a caller can watch them.
	WrapStarter func(tasks.Starter) tasks.Starter
	// Wrap, when set, wraps every Task function: it gets the function's
	// name (record, approval, lock, shift, hook, bake, finalize, rollback,
	// loadtest-aggregate) and the call of its handler, and returns the call
	// the engine makes. next decodes the payload into the handler's input
	// and returns the handler's error as it is, so a wrapper can errors.Is
	// it; what the wrapper returns is the Task's result or error.
	Wrap func(function string, next Invoke) Invoke
}

// Invoke is one call of a Task function: its payload in, its result out.
type Invoke func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error)

// Function is one Task function the definitions call.
type Function struct {
	// Placeholder is the definitions' name for its ARN, e.g.
	// RecordFunctionArn.
	Placeholder string
	// Name is the function's name without the stack prefix, e.g. record.
	Name string
	// Handler is a *control.Router or a func(context.Context, In) (Out,
	// error).
	Handler any
}

// Functions returns the Task functions of the definitions with h's
// handlers, unwrapped. It is the one place a placeholder is mapped to a
// handler.
func Functions(h Handlers) []Function {
	svc := h.Service
	return []Function{
		{"RecordFunctionArn", "record", svc.RecordFunction()},
		{"ApprovalFunctionArn", "approval", svc.RegisterApproval},
		{"LockFunctionArn", "lock", svc.Lock},
		{"ShiftFunctionArn", "shift", svc.ShiftFunction()},
		{"HookFunctionArn", "hook", svc.Hook},
		{"BakeFunctionArn", "bake", svc.BakeFunction()},
		{"FinalizeFunctionArn", "finalize", svc.Finalize},
		{"RollbackFunctionArn", "rollback", svc.Rollback},
		{"LoadTestAggregateFunctionArn", "loadtest-aggregate", h.LoadTestAggregate},
	}
}

// Engine is the embedded engine with Shipwave's state machines registered
// and every Task resolved to in-process handlers.
type Engine struct {
	*states.Engine
	// Release is the release state machine; ReleaseARN its ARN.
	Release    *states.StateMachine
	ReleaseARN string
}

// New builds the engine: statemachines/*.asl.json with their
// DefinitionSubstitutions pointing at h's handlers. opts.Tasks is replaced;
// opts.Region and opts.Account default to Region and Account. The caller
// wires the returned engine as h.Service.Callbacks.
func New(opts states.Options, h Handlers) (*Engine, error) {
	if h.Service == nil || h.LoadTestAggregate == nil {
		return nil, fmt.Errorf("control engine: Service and LoadTestAggregate are required")
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
	smARN := func(name string) string {
		return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:shipwave-%s", opts.Region, opts.Account, name)
	}
	subs := map[string]string{
		"DeployStateMachineArn":     smARN("deploy"),
		"LoadTestStateMachineArn":   smARN("loadtest"),
		"LoadTestClusterArn":        fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/shipwave-local", opts.Region, opts.Account),
		"LoadTestTaskDefinitionArn": fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/shipwave-loadgen:1", opts.Region, opts.Account),
		"LoadTestSubnets":           "subnet-local",
		"LoadTestSecurityGroup":     "sg-local",
	}
	fns := tasks.Functions{}
	for _, f := range Functions(h) {
		name := "shipwave-" + f.Name
		fns[name] = function(name, f, h.Wrap)
		subs[f.Placeholder] = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", opts.Region, opts.Account, name)
	}
	reg.HandlePrefix(tasks.LambdaARNPrefix, tasks.Lambda(fns))
	reg.HandlePrefix(tasks.LambdaInvokeResource, tasks.Lambda(fns))
	var starter tasks.Starter = e.Engine
	if h.WrapStarter != nil {
		starter = h.WrapStarter(starter)
	}
	reg.HandlePrefix(tasks.StartExecutionResource, tasks.StartExecution(starter))
	if h.RunTask != nil {
		reg.Handle(RunTaskSync, h.RunTask)
	}
	e.ReleaseARN = smARN("release")
	for name, arn := range map[string]string{
		statemachines.Release:  e.ReleaseARN,
		statemachines.Deploy:   subs["DeployStateMachineArn"],
		statemachines.LoadTest: subs["LoadTestStateMachineArn"],
	} {
		def, err := statemachines.Load(name, subs)
		if err != nil {
			return nil, fmt.Errorf("control engine: %w", err)
		}
		sm, err := states.Parse(def)
		if err != nil {
			return nil, fmt.Errorf("control engine: parse %s: %w", name, err)
		}
		e.Register(arn, sm)
		if name == statemachines.Release {
			e.Release = sm
		}
	}
	return e, nil
}

// function is f as the engine invokes it, wrapped by wrap when it is set.
func function(name string, f Function, wrap func(string, Invoke) Invoke) *lambdatask.Function {
	handler := f.Handler
	if r, ok := handler.(*control.Router); ok {
		handler = r.Handle
	}
	if wrap == nil {
		return lambdatask.New(name, handler)
	}
	return lambdatask.LambdaFunction(name, invoker(wrap(f.Name, call(handler))))
}

// call invokes handler as the Lambda runtime does, returning its error as
// it is. aws-lambda-go's handlers reuse their output buffer, so each
// concurrent call takes its own from a pool and the result is copied.
func call(handler any) Invoke {
	pool := &sync.Pool{New: func() any { return lambda.NewHandler(handler) }}
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		h := pool.Get().(lambda.Handler)
		defer pool.Put(h)
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			return nil, err
		}
		return bytes.Clone(out), nil
	}
}

// invoker is an Invoke as a lambda.Handler.
type invoker Invoke

func (i invoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return i(ctx, payload)
}
